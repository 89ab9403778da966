package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// The billing commands: gisiaas billing …, over /v1/billing. The command
// table matches two words, so "billing template", "billing price-list" and
// "billing code" take their verb (list, create, …) as the first argument.

// billingPath is /v1/billing/{parts…}, each part escaped.
func billingPath(parts ...string) string {
	var b strings.Builder
	b.WriteString("/v1/billing")
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// verbs runs the verb args[0] of a command that has several; with none, or
// a flag first (help), it prints the command's usage.
func verbs(c *cli, ctx context.Context, name string, args []string, table map[string]func(c *cli, ctx context.Context, args []string) error) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fset, _ := c.flagSet(name)
		if _, err := parseArgs(fset, args); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(table))
	for v := range table {
		names = append(names, v)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return usagef("give one of: %s", strings.Join(names, ", "))
	}
	fn, ok := table[args[0]]
	if !ok {
		return usagef("%q is not one of: %s", args[0], strings.Join(names, ", "))
	}
	return fn(c, ctx, args[1:])
}

// noArgs parses a command that takes flags only.
func noArgs(fset *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	return nil
}

// send does r and returns the body's member key.
func send(ctx context.Context, cl *Client, r request, key string) (json.RawMessage, error) {
	resp, err := cl.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	return member(resp.Body, key)
}

// printOneExcept prints an object as printOne does, leaving out members
// that the table shows otherwise (or not at all).
func (c *cli) printOneExcept(raw json.RawMessage, com *common, skip ...string) error {
	if com.output == "json" {
		return c.printJSON(raw)
	}
	fields, err := orderedFields(raw)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		if !contains(skip, f.key) {
			fmt.Fprintf(tw, "%s\t%s\n", cell(f.key), cell(render(f.value)))
		}
	}
	return tw.Flush()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeOut writes data to file, "-" being standard output.
func (c *cli) writeOut(file string, data []byte) error {
	if file == "-" {
		_, err := c.stdout.Write(data)
		return err
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Wrote %s (%d bytes).\n", file, len(data))
	return nil
}

// resolveDepartment takes a department's id or name: names are looked up
// among the departments the caller may list; anything else is sent as an
// id, for the API to judge.
func resolveDepartment(ctx context.Context, cl *Client, arg string) (string, error) {
	raw, err := cl.getJSON(ctx, "/v1/identity/departments", "departments", nil)
	if err != nil {
		return "", err
	}
	var ds []struct{ ID, Name string }
	if err := json.Unmarshal(raw, &ds); err != nil {
		return "", fmt.Errorf("the departments in the answer: %w", err)
	}
	for _, d := range ds {
		if d.ID == arg {
			return d.ID, nil
		}
	}
	for _, d := range ds {
		if d.Name == arg {
			return d.ID, nil
		}
	}
	return arg, nil
}

// resolveTemplate takes a template's id or name.
func resolveTemplate(ctx context.Context, cl *Client, arg string) (string, error) {
	raw, err := cl.getJSON(ctx, billingPath("templates"), "templates", nil)
	if err != nil {
		return "", err
	}
	var ts []struct{ ID, Name string }
	if err := json.Unmarshal(raw, &ts); err != nil {
		return "", fmt.Errorf("the templates in the answer: %w", err)
	}
	for _, t := range ts {
		if t.ID == arg || t.Name == arg {
			return t.ID, nil
		}
	}
	return "", fmt.Errorf("no pricing template %q", arg)
}

// ---- settings ----

func cmdBillingSettings(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing settings")
	currency := fset.String("currency", "", "switch to this currency (USD, CNY, JPY, IDR, VND, SGD, MYR, THB); converts no amount")
	tz := fset.String("timezone", "", "the billing timezone (IANA name); it may be changed once")
	onZero := fset.String("on-zero-balance", "", "keep_running or refuse_creates")
	if err := noArgs(fset, args); err != nil {
		return err
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	body := map[string]string{}
	for k, v := range map[string]string{"currency": *currency, "timezone": *tz, "on_zero_balance": *onZero} {
		if v != "" {
			body[k] = v
		}
	}
	r := request{method: http.MethodGet, path: billingPath("settings")}
	if len(body) > 0 {
		r = request{method: http.MethodPut, path: billingPath("settings"), body: body}
	}
	raw, err := send(ctx, cl, r, "settings")
	if err != nil {
		return err
	}
	return c.printOneExcept(raw, com, "currencies")
}

// ---- templates ----

var templateColumns = []column{
	{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "DEFAULT", key: "is_default"},
	{header: "DEPARTMENTS", key: "departments"},
	{header: "IN_USE", value: func(it map[string]json.RawMessage) string {
		var ls []struct {
			Number int    `json:"number"`
			State  string `json:"state"`
		}
		_ = json.Unmarshal(it["price_lists"], &ls)
		for _, l := range ls {
			if l.State == "in_use" {
				return strconv.Itoa(l.Number)
			}
		}
		return "-"
	}},
	{header: "LISTS", value: func(it map[string]json.RawMessage) string {
		var ls []json.RawMessage
		_ = json.Unmarshal(it["price_lists"], &ls)
		return strconv.Itoa(len(ls))
	}},
	{header: "DESCRIPTION", key: "description"},
}

func cmdBillingTemplate(c *cli, ctx context.Context, args []string) error {
	const name = "billing template"
	return verbs(c, ctx, name, args, map[string]func(*cli, context.Context, []string) error{
		"list": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			if err := noArgs(fset, args); err != nil {
				return err
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			raw, err := cl.getJSON(ctx, billingPath("templates"), "templates", nil)
			if err != nil {
				return err
			}
			return c.printList(raw, com, templateColumns)
		},
		"show": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			arg, err := oneID(fset, args)
			if err != nil {
				return err
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			id, err := resolveTemplate(ctx, cl, arg)
			if err != nil {
				return err
			}
			raw, err := cl.getJSON(ctx, billingPath("templates", id), "template", nil)
			if err != nil {
				return err
			}
			return c.printOne(raw, com)
		},
		"create": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			tname := fset.String("name", "", "the template's name (required)")
			desc := fset.String("description", "", "what it is for")
			baseTpl := fset.String("base-template", "", "copy a list of this template (id or name; default: Default)")
			baseList := fset.Int("base-list", 0, "the base template's list to copy (default: the one in use)")
			if err := noArgs(fset, args); err != nil {
				return err
			}
			if *tname == "" {
				return usagef("--name is required")
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			body := map[string]any{"name": *tname, "description": *desc, "base_list_number": *baseList}
			if *baseTpl != "" {
				id, err := resolveTemplate(ctx, cl, *baseTpl)
				if err != nil {
					return err
				}
				body["base_template_id"] = id
			}
			raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("templates"), body: body}, "template")
			if err != nil {
				return err
			}
			return c.printOne(raw, com)
		},
		"delete": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			arg, err := oneID(fset, args)
			if err != nil {
				return err
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			id, err := resolveTemplate(ctx, cl, arg)
			if err != nil {
				return err
			}
			if _, err := cl.Do(ctx, request{method: http.MethodDelete, path: billingPath("templates", id)}); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Deleted template %s.\n", arg)
			return nil
		},
	})
}

// ---- price lists ----

var priceListColumns = []column{
	{header: "NUMBER", key: "number"}, {header: "STATE", key: "state"}, {header: "EFFECTIVE_AT", key: "effective_at"},
	{header: "DESCRIPTION", key: "description"}, {header: "ID", key: "id"},
}

// printPriceList prints a list's fields, then its prices as a table.
func (c *cli) printPriceList(raw json.RawMessage, com *common) error {
	if com.output == "json" {
		return c.printJSON(raw)
	}
	if err := c.printOneExcept(raw, com, "prices"); err != nil {
		return err
	}
	var l struct {
		Prices json.RawMessage `json:"prices"`
	}
	if err := json.Unmarshal(raw, &l); err != nil || len(l.Prices) == 0 {
		return err
	}
	fmt.Fprintln(c.stdout)
	return c.printList(l.Prices, com, []column{{header: "ITEM", key: "item"}, {header: "UNIT_PRICE_PER_HOUR", key: "unit_price"}})
}

// listArgs parses a price-list verb: its flags (with --template) and n
// positional arguments, the first a list number when numbered.
func listArgs(c *cli, args []string, n int, numbered bool, extra func(fset *flag.FlagSet)) (*common, *string, []string, error) {
	fset, com := c.flagSet("billing price-list")
	tpl := fset.String("template", "Default", "the pricing template (id or name)")
	if extra != nil {
		extra(fset)
	}
	pos, err := parseArgs(fset, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(pos) != n {
		return nil, nil, nil, usagef("give %d argument(s), not %d", n, len(pos))
	}
	if numbered {
		if v, err := strconv.Atoi(pos[0]); err != nil || v < 1 {
			return nil, nil, nil, usagef("%q is not a price-list number", pos[0])
		}
	}
	return com, tpl, pos, nil
}

// priceListAction is a verb that POSTs to …/price-lists/N/verb.
func priceListAction(verb string) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		com, tpl, pos, err := listArgs(c, args, 1, true, nil)
		if err != nil {
			return err
		}
		cl, err := c.connect(com)
		if err != nil {
			return err
		}
		id, err := resolveTemplate(ctx, cl, *tpl)
		if err != nil {
			return err
		}
		raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("templates", id, "price-lists", pos[0], verb)}, "price_list")
		if err != nil {
			return err
		}
		return c.printPriceList(raw, com)
	}
}

func cmdBillingPriceList(c *cli, ctx context.Context, args []string) error {
	// connectTpl connects and resolves --template.
	connectTpl := func(com *common, tpl string) (*Client, string, error) {
		cl, err := c.connect(com)
		if err != nil {
			return nil, "", err
		}
		id, err := resolveTemplate(ctx, cl, tpl)
		return cl, id, err
	}
	return verbs(c, ctx, "billing price-list", args, map[string]func(*cli, context.Context, []string) error{
		"list": func(c *cli, ctx context.Context, args []string) error {
			com, tpl, _, err := listArgs(c, args, 0, false, nil)
			if err != nil {
				return err
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			raw, err := cl.getJSON(ctx, billingPath("templates", id, "price-lists"), "price_lists", nil)
			if err != nil {
				return err
			}
			return c.printList(raw, com, priceListColumns)
		},
		"show": func(c *cli, ctx context.Context, args []string) error {
			com, tpl, pos, err := listArgs(c, args, 1, true, nil)
			if err != nil {
				return err
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			raw, err := cl.getJSON(ctx, billingPath("templates", id, "price-lists", pos[0]), "price_list", nil)
			if err != nil {
				return err
			}
			return c.printPriceList(raw, com)
		},
		"create": func(c *cli, ctx context.Context, args []string) error {
			var desc, eff *string
			var base *int
			com, tpl, _, err := listArgs(c, args, 0, false, func(fset *flag.FlagSet) {
				desc = fset.String("description", "", "what the list is")
				base = fset.Int("base", 0, "copy the prices of this list of the template (default: start empty)")
				eff = fset.String("effective-at", "", "when it takes effect once activated (RFC 3339)")
			})
			if err != nil {
				return err
			}
			body := map[string]any{"description": *desc, "base_number": *base}
			if *eff != "" {
				t, err := time.Parse(time.RFC3339, *eff)
				if err != nil {
					return usagef("--effective-at %q: give an RFC 3339 time such as 2025-04-01T00:00:00+08:00", *eff)
				}
				body["effective_at"] = t.Format(time.RFC3339Nano)
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("templates", id, "price-lists"), body: body}, "price_list")
			if err != nil {
				return err
			}
			return c.printPriceList(raw, com)
		},
		"set-price": func(c *cli, ctx context.Context, args []string) error {
			com, tpl, pos, err := listArgs(c, args, 3, true, nil)
			if err != nil {
				return err
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			raw, err := send(ctx, cl, request{method: http.MethodPut, path: billingPath("templates", id, "price-lists", pos[0], "prices", pos[1]),
				body: map[string]string{"unit_price": pos[2]}}, "price")
			if err != nil {
				return err
			}
			return c.printOne(raw, com)
		},
		"activate": priceListAction("activate"),
		"disable":  priceListAction("disable"),
		"use-now":  priceListAction("use-now"),
		"delete": func(c *cli, ctx context.Context, args []string) error {
			com, tpl, pos, err := listArgs(c, args, 1, true, nil)
			if err != nil {
				return err
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			if _, err := cl.Do(ctx, request{method: http.MethodDelete, path: billingPath("templates", id, "price-lists", pos[0])}); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "Deleted price list %s.\n", pos[0])
			return nil
		},
		"export": func(c *cli, ctx context.Context, args []string) error {
			var file *string
			com, tpl, pos, err := listArgs(c, args, 1, true, func(fset *flag.FlagSet) {
				file = fset.String("file", "", "write the .xlsx here (- for standard output; required)")
			})
			if err != nil {
				return err
			}
			if *file == "" {
				return usagef("--file is required")
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			resp, err := cl.Do(ctx, request{method: http.MethodGet, path: billingPath("templates", id, "price-lists", pos[0], "export")})
			if err != nil {
				return err
			}
			return c.writeOut(*file, resp.Body)
		},
		"import": func(c *cli, ctx context.Context, args []string) error {
			var file, desc *string
			com, tpl, _, err := listArgs(c, args, 0, false, func(fset *flag.FlagSet) {
				file = fset.String("file", "", "the .xlsx to import, as export writes it (required)")
				desc = fset.String("description", "", "the new list's description")
			})
			if err != nil {
				return err
			}
			if *file == "" {
				return usagef("--file is required")
			}
			data, err := os.ReadFile(*file)
			if err != nil {
				return err
			}
			cl, id, err := connectTpl(com, *tpl)
			if err != nil {
				return err
			}
			q := url.Values{}
			if *desc != "" {
				q.Set("description", *desc)
			}
			resp, err := cl.upload(ctx, billingPath("templates", id, "price-lists", "import"), q, data)
			if err != nil {
				return err
			}
			raw, err := member(resp.Body, "price_list")
			if err != nil {
				return err
			}
			return c.printPriceList(raw, com)
		},
	})
}

// upload POSTs data as application/octet-stream: Do sends JSON only.
func (cl *Client) upload(ctx context.Context, path string, query url.Values, data []byte) (*Response, error) {
	target := cl.Endpoint + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/json")
	if cl.UserAgent != "" {
		req.Header.Set("User-Agent", cl.UserAgent)
	}
	req.Header.Set("X-Auth-Token", cl.Token)
	resp, err := cl.HTTP.Do(req)
	if err != nil {
		return nil, transportError(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("POST %s: reading the answer: %w", path, transportError(ctx, err))
	}
	if resp.StatusCode >= 400 {
		return nil, decodeAPIError(resp, body)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// ---- departments: binding, account, recharges ----

// deptArg parses a command whose one argument is a department; extra adds
// flags and returns their check, run before any request.
func deptArg(ctx context.Context, c *cli, name string, args []string, extra func(fset *flag.FlagSet) func() error) (*Client, *common, string, error) {
	fset, com := c.flagSet(name)
	var check func() error
	if extra != nil {
		check = extra(fset)
	}
	arg, err := oneID(fset, args)
	if err != nil {
		return nil, nil, "", err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, nil, "", err
		}
	}
	cl, err := c.connect(com)
	if err != nil {
		return nil, nil, "", err
	}
	id, err := resolveDepartment(ctx, cl, arg)
	return cl, com, id, err
}

func cmdBillingBind(c *cli, ctx context.Context, args []string) error {
	var tpl *string
	cl, com, dept, err := deptArg(ctx, c, "billing bind", args, func(fset *flag.FlagSet) func() error {
		tpl = fset.String("template", "", "the pricing template (id or name; required)")
		return func() error {
			if *tpl == "" {
				return usagef("--template is required")
			}
			return nil
		}
	})
	if err != nil {
		return err
	}
	id, err := resolveTemplate(ctx, cl, *tpl)
	if err != nil {
		return err
	}
	raw, err := send(ctx, cl, request{method: http.MethodPut, path: billingPath("departments", dept, "template"),
		body: map[string]string{"template_id": id}}, "template")
	if err != nil {
		return err
	}
	return c.printOne(raw, com)
}

func cmdBillingAccount(c *cli, ctx context.Context, args []string) error {
	cl, com, dept, err := deptArg(ctx, c, "billing account", args, nil)
	if err != nil {
		return err
	}
	raw, err := cl.getJSON(ctx, billingPath("departments", dept, "account"), "account", nil)
	if err != nil {
		return err
	}
	return c.printOne(raw, com)
}

func cmdBillingRecharge(c *cli, ctx context.Context, args []string) error {
	var amount, note *string
	cl, com, dept, err := deptArg(ctx, c, "billing recharge", args, func(fset *flag.FlagSet) func() error {
		amount = fset.String("amount", "", "the amount, in the billing currency (required)")
		note = fset.String("note", "", "why, for the record")
		return func() error {
			if *amount == "" {
				return usagef("--amount is required")
			}
			return nil
		}
	})
	if err != nil {
		return err
	}
	raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("departments", dept, "recharges"),
		body: map[string]string{"amount": *amount, "note": *note}}, "recharge")
	if err != nil {
		return err
	}
	return c.printOne(raw, com)
}

func cmdBillingRecharges(c *cli, ctx context.Context, args []string) error {
	var from, to *string
	cl, com, dept, err := deptArg(ctx, c, "billing recharges", args, func(fset *flag.FlagSet) func() error {
		from = fset.String("from", "", "from this time (RFC 3339, or a date in the billing timezone)")
		to = fset.String("to", "", "until this time, exclusive")
		return nil
	})
	if err != nil {
		return err
	}
	q := url.Values{}
	if *from != "" {
		q.Set("from", *from)
	}
	if *to != "" {
		q.Set("to", *to)
	}
	raw, err := cl.getJSON(ctx, billingPath("departments", dept, "recharges"), "recharges", q)
	if err != nil {
		return err
	}
	return c.printList(raw, com, []column{{header: "ID", key: "id"}, {header: "TIME", key: "time"}, {header: "AMOUNT", key: "amount"},
		{header: "METHOD", key: "method"}, {header: "BY", key: "by"}, {header: "NOTE", key: "note"}})
}

// ---- recharge codes ----

// parseExpiry reads --expires: an RFC 3339 time, or a span from now
// ("720h", "30d").
func parseExpiry(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.Add(time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, usagef("--expires %q: give an RFC 3339 time or a span such as 30d or 720h", v)
}

func cmdBillingCode(c *cli, ctx context.Context, args []string) error {
	const name = "billing code"
	return verbs(c, ctx, name, args, map[string]func(*cli, context.Context, []string) error{
		"create": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			count := fset.Int("count", 1, "how many codes")
			value := fset.String("value", "", "each code's value (required)")
			expires := fset.String("expires", "", "when they expire: RFC 3339, or a span such as 30d (required)")
			if err := noArgs(fset, args); err != nil {
				return err
			}
			if *value == "" || *expires == "" {
				return usagef("--value and --expires are required")
			}
			exp, err := parseExpiry(*expires, c.now())
			if err != nil {
				return err
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("recharge-codes"),
				body: map[string]any{"count": *count, "value": *value, "expires_at": exp.UTC().Format(time.RFC3339)}}, "recharge_codes")
			if err != nil {
				return err
			}
			if com.output != "json" {
				fmt.Fprintln(c.stderr, "The codes are shown this once: keep them now.")
			}
			return c.printList(raw, com, []column{{header: "ID", key: "id"}, {header: "CODE", key: "code"},
				{header: "VALUE", key: "value"}, {header: "EXPIRES_AT", key: "expires_at"}})
		},
		"list": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			all := fset.Bool("all", false, "redeemed, expired and deleted codes too")
			if err := noArgs(fset, args); err != nil {
				return err
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			q := url.Values{}
			if *all {
				q.Set("all", "true")
			}
			raw, err := cl.getJSON(ctx, billingPath("recharge-codes"), "recharge_codes", q)
			if err != nil {
				return err
			}
			return c.printList(raw, com, []column{{header: "ID", key: "id"}, {header: "HINT", key: "hint"},
				{header: "VALUE", key: "value"}, {header: "STATUS", key: "status"}, {header: "EXPIRES_AT", key: "expires_at"},
				{header: "REDEEMED_BY", key: "redeemed_by"}, {header: "DEPARTMENT", key: "redeemed_department"}})
		},
		"delete": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			ids, err := parseArgs(fset, args)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				return usagef("give one or more code IDs")
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			var errs []error
			for _, id := range ids {
				if _, err := cl.Do(ctx, request{method: http.MethodDelete, path: billingPath("recharge-codes", id)}); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", id, err))
					continue
				}
				fmt.Fprintf(c.stdout, "Deleted code %s.\n", id)
			}
			return errors.Join(errs...)
		},
		"redeem": func(c *cli, ctx context.Context, args []string) error {
			fset, com := c.flagSet(name)
			code, err := oneID(fset, args)
			if err != nil {
				return err
			}
			cl, err := c.connect(com)
			if err != nil {
				return err
			}
			raw, err := send(ctx, cl, request{method: http.MethodPost, path: billingPath("recharge-codes", "redeem"),
				body: map[string]string{"code": code}}, "recharge")
			if err != nil {
				return err
			}
			return c.printOne(raw, com)
		},
	})
}

// ---- bills ----

// billFlags are the flags of bill and export: the query of a bill.
type billFlags struct {
	department, project, from, to *string
}

func addBillFlags(fset *flag.FlagSet) billFlags {
	return billFlags{
		department: fset.String("department", "", "the department (id or name; default: yours)"),
		project:    fset.String("project", "", "only this project's resources"),
		from:       fset.String("from", "", "from this time: RFC 3339, or a date in the billing timezone (required)"),
		to:         fset.String("to", "", "until this time, exclusive (required)"),
	}
}

func (b billFlags) query(ctx context.Context, cl *Client) (url.Values, error) {
	if *b.from == "" || *b.to == "" {
		return nil, usagef("--from and --to are required")
	}
	q := url.Values{"from": {*b.from}, "to": {*b.to}}
	if *b.department != "" {
		id, err := resolveDepartment(ctx, cl, *b.department)
		if err != nil {
			return nil, err
		}
		q.Set("department_id", id)
	}
	if *b.project != "" {
		q.Set("project_id", *b.project)
	}
	return q, nil
}

func cmdBillingBill(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing bill")
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
	raw, err := cl.getJSON(ctx, billingPath("bills"), "bill", q)
	if err != nil {
		return err
	}
	if com.output == "json" {
		return c.printJSON(raw)
	}
	if err := c.printOneExcept(raw, com, "lines", "by_project", "by_resource_type", "from", "to"); err != nil {
		return err
	}
	var b struct {
		Lines     json.RawMessage `json:"lines"`
		ByProject json.RawMessage `json:"by_project"`
		ByType    json.RawMessage `json:"by_resource_type"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return err
	}
	totals := []column{{header: "", key: "key"}, {header: "AMOUNT", key: "amount"}}
	for _, part := range []struct {
		title string
		raw   json.RawMessage
		cols  []column
	}{
		{"", b.Lines, []column{{header: "PROJECT", key: "project_id"}, {header: "TYPE", key: "resource_type"},
			{header: "RESOURCE", key: "resource_id"}, {header: "ITEM", key: "item"}, {header: "SECONDS", key: "seconds"}, {header: "AMOUNT", key: "amount"}}},
		{"PROJECT", b.ByProject, totals},
		{"RESOURCE_TYPE", b.ByType, totals},
	} {
		fmt.Fprintln(c.stdout)
		cols := part.cols
		if part.title != "" {
			cols = []column{{header: part.title, key: "key"}, cols[1]}
		}
		if err := c.printList(part.raw, com, cols); err != nil {
			return err
		}
	}
	return nil
}

func cmdBillingExport(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("billing export")
	bf := addBillFlags(fset)
	format := fset.String("format", "xlsx", "xlsx or csv")
	file := fset.String("file", "", "write here (- for standard output; default for csv; required for xlsx)")
	if err := noArgs(fset, args); err != nil {
		return err
	}
	if *format != "xlsx" && *format != "csv" {
		return usagef("--format %s: give xlsx or csv", *format)
	}
	if *file == "" {
		if *format == "xlsx" {
			return usagef("--file is required for xlsx (- for standard output)")
		}
		*file = "-"
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
	q.Set("format", *format)
	resp, err := cl.Do(ctx, request{method: http.MethodGet, path: billingPath("bills", "export"), query: q})
	if err != nil {
		return err
	}
	return c.writeOut(*file, resp.Body)
}
