package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

// cmdBillingRebuild re-derives a bill from the event log and compares it
// with the posted ledger; it exits non-zero when they differ.
func cmdBillingRebuild(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing rebuild")
	bf := addBillFlags(fset)
	if err := noArgs(fset, args); err != nil {
		return err
	}
	if *bf.from == "" || *bf.to == "" {
		return usagef("--from and --to are required")
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	q, err := bf.query(ctx, cl)
	if err != nil {
		return err
	}
	raw, err := cl.getJSON(ctx, billingPath("bills", "rebuild"), "rebuild", q)
	if err != nil {
		return err
	}
	if com.output == "json" {
		if err := c.printJSON(raw); err != nil {
			return err
		}
	}
	var rep struct {
		Equal       bool                   `json:"equal"`
		Differences []string               `json:"differences"`
		Posted      struct{ Total string } `json:"posted"`
		Rebuilt     struct{ Total string } `json:"rebuilt"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return err
	}
	if com.output != "json" {
		fmt.Fprintf(c.stdout, "posted total   %s\nrebuilt total  %s\n", rep.Posted.Total, rep.Rebuilt.Total)
		for _, d := range rep.Differences {
			fmt.Fprintln(c.stdout, "differs:", d)
		}
	}
	if !rep.Equal {
		return fmt.Errorf("the posted ledger differs from the event log in %d places", len(rep.Differences))
	}
	if com.output != "json" {
		fmt.Fprintln(c.stdout, "The ledger equals what the event log and the price history give.")
	}
	return nil
}

// cmdBillingBackup writes all billing data to a file (BL.16).
func cmdBillingBackup(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing backup")
	file := fset.String("file", "", "write the backup here (required; - for standard output)")
	if err := noArgs(fset, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("--file is required")
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	resp, err := cl.Do(ctx, request{method: http.MethodPost, path: billingPath("backup")})
	if err != nil {
		return err
	}
	if err := c.writeOut(*file, resp.Body); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Backup %s (sha256 %s). A reset needs this id.\n", resp.Header.Get("X-Backup-Id"), resp.Header.Get("X-Backup-Sha256"))
	return nil
}

// cmdBillingReset deletes all billing data, given a backup that holds it.
func cmdBillingReset(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing reset")
	id := fset.String("backup-id", "", "the id of a backup taken after the last billing data (required)")
	if err := noArgs(fset, args); err != nil {
		return err
	}
	if *id == "" {
		return usagef("--backup-id is required: take one with gisiaas billing backup")
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	if _, err := cl.Do(ctx, request{method: http.MethodPost, path: billingPath("reset"), body: map[string]string{"backup_id": *id}}); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "Billing data deleted; the defaults are back. Restore with gisiaas billing restore.")
	return nil
}

// cmdBillingRestore loads a backup file into an empty billing.
func cmdBillingRestore(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing restore")
	file := fset.String("file", "", "the backup to load (required)")
	if err := noArgs(fset, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("--file is required")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	resp, err := cl.upload(ctx, billingPath("restore"), nil, data)
	if err != nil {
		return err
	}
	return c.printOne(json.RawMessage(resp.Body), com)
}

// cmdBillingWhatIf rates a price list over the last days of real events as
// if it had been in use, beside what was charged; nothing is charged.
func cmdBillingWhatIf(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing what-if")
	template := fset.String("template", "Default", "the template (id or name)")
	days := fset.Int("days", 30, "over this many past days")
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give the price list's number")
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	tid, err := resolveTemplate(ctx, cl, *template)
	if err != nil {
		return err
	}
	raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("templates", tid, "price-lists", pos[0], "what-if"),
		body: map[string]int{"days": *days}}, "what_if")
	if err != nil {
		return err
	}
	if com.output == "json" {
		return c.printJSON(raw)
	}
	var rep struct {
		Departments []struct {
			DepartmentID string `json:"department_id"`
			Actual       string `json:"actual"`
			WhatIf       string `json:"what_if"`
			Difference   string `json:"difference"`
		} `json:"departments"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%-34s %14s %14s %14s\n", "DEPARTMENT", "ACTUAL", "WHAT_IF", "DIFFERENCE")
	for _, d := range rep.Departments {
		fmt.Fprintf(c.stdout, "%-34s %14s %14s %14s\n", d.DepartmentID, d.Actual, d.WhatIf, d.Difference)
	}
	return nil
}
