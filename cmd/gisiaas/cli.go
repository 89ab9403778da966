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
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

// cli is one invocation: its streams and environment, injectable by tests.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
}

// run is the whole command line minus the program name; it returns the exit
// status: 0 done, 1 failed, 2 misused.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, now: time.Now}
	return c.main(ctx, args)
}

// command is one line of the command table; usage and help come from it.
type command struct {
	name     string // "server create"
	synopsis string // the arguments after the name
	summary  string
	run      func(c *cli, ctx context.Context, args []string) error
}

// commandTable is a function, not a variable, because help reads it.
func commandTable() []command {
	return []command{
		{"serve", "[--config FILE] [--listen ADDR] [--data-dir DIR]", "serve the API", nil},
		{"login", "--endpoint URL --username USER (--password P | --password-stdin) [--domain Default] --project NAME [--project-domain D] [--ca-cert FILE | --insecure]",
			"get a token and save it", cmdLogin},
		{"logout", "", "revoke the saved token and forget it", cmdLogout},
		{"datacenter list", "", "datacenters with kind, driver, version and health", cmdDatacenterList},
		{"server list", "[--datacenter DC] [--limit N] [--marker ID]", "servers", listCmd(serverRes)},
		{"server show", "ID", "one server", showCmd(serverRes)},
		{"server create", "--name N --flavor F --image I --network NET… [--volume VOL…] [--datacenter DC] [--security-group SG…] [--metadata K=V…] [--user-data FILE] [--description D] [--idempotency-key K] [--wait [--timeout 5m]]",
			"create a server", cmdServerCreate},
		{"server delete", "ID… [--wait [--timeout 5m]]", "delete servers", deleteCmd(serverRes)},
		{"server start", "ID [--wait]", "start a stopped server", serverAction("start", "ACTIVE")},
		{"server stop", "ID [--wait]", "stop a server", serverAction("stop", "SHUTOFF")},
		{"server reboot", "ID [--hard] [--wait]", "reboot a server (SOFT unless --hard)", serverAction("reboot", "ACTIVE")},
		{"server resize", "ID --flavor F [--wait]", "change a server's flavor", serverAction("resize", "ACTIVE", "VERIFY_RESIZE")},
		{"server confirm-resize", "ID [--wait]", "keep a resize (VERIFY_RESIZE)", serverAction("confirm-resize", "ACTIVE")},
		{"server revert-resize", "ID [--wait]", "undo a resize (VERIFY_RESIZE)", serverAction("revert-resize", "ACTIVE")},
		{"server migrate", "ID --host H [--wait]", "live-migrate a server", serverAction("live-migrate", "ACTIVE")},
		{"server wait", "ID [--status ACTIVE] [--timeout 5m] [--interval 2s]", "wait until a server has a status (DELETED: gone)", waitCmd(serverRes)},
		{"flavor list", "[--datacenter DC]", "flavors", listCmd(flavorRes)},
		{"image list", "[--datacenter DC]", "images", listCmd(imageRes)},
		{"network list", "[--datacenter DC]", "networks", listCmd(networkRes)},
		{"volume list", "[--datacenter DC] [--limit N] [--marker ID]", "volumes", listCmd(volumeRes)},
		{"volume show", "ID", "one volume", showCmd(volumeRes)},
		{"volume create", "--name N --size GB [--type T] [--description D] [--datacenter DC] [--wait]", "create a volume", cmdVolumeCreate},
		{"volume delete", "ID… [--wait]", "delete volumes", deleteCmd(volumeRes)},
		{"volume attach", "ID --server S [--mountpoint /dev/vdb] [--mode rw|ro] [--wait]", "attach a volume to a server", volumeAction("attach")},
		{"volume detach", "ID --server S [--wait]", "detach a volume from a server", volumeAction("detach")},
		{"volume extend", "ID --size GB [--wait]", "grow a volume", volumeAction("extend")},
		{"volume wait", "ID [--status available] [--timeout 5m] [--interval 2s]", "wait until a volume has a status", waitCmd(volumeRes)},
		{"publicip list", "[--datacenter DC]", "public IPs", listCmd(publicIPRes)},
		{"publicip create", "[--name N] [--datacenter DC]", "allocate a public IP", cmdPublicIPCreate},
		{"publicip bind", "ID --server S", "bind a public IP to a server", publicIPAction("bind")},
		{"publicip unbind", "ID [--server S]", "unbind a public IP", publicIPAction("unbind")},
		{"publicip delete", "ID…", "release public IPs", deleteCmd(publicIPRes)},
		{"billing settings", "[--currency C] [--timezone TZ] [--on-zero-balance keep_running|refuse_creates]", "show or change the billing settings (changes: cloud admin)", cmdBillingSettings},
		{"billing template", "list | show T | create --name N [--description D] [--base-template T] [--base-list N] | delete T", "pricing templates (cloud admin)", cmdBillingTemplate},
		{"billing price-list", "list | show N | create [--description D] [--base N] [--effective-at T] | set-price N ITEM PRICE | activate N | disable N | use-now N | delete N | export N --file F | import --file F [--description D]  [--template T]",
			"price lists of a template, Default unless --template (cloud admin)", cmdBillingPriceList},
		{"billing bind", "DEPT --template T", "bind a department to a pricing template from now (cloud admin)", cmdBillingBind},
		{"billing account", "DEPT", "a department's balance, cost per hour and day, and run-out time", cmdBillingAccount},
		{"billing recharge", "DEPT --amount A [--note N]", "recharge a department's account (cloud admin)", cmdBillingRecharge},
		{"billing recharges", "DEPT [--from T] [--to T]", "a department's recharges", cmdBillingRecharges},
		{"billing code", "create --count N --value V --expires T | list [--all] | delete ID… | redeem CODE", "recharge codes (redeem: anyone, into their department)", cmdBillingCode},
		{"billing bill", "[--department D] [--project P] --from T --to T", "a bill: lines and totals by project and resource type", cmdBillingBill},
		{"billing what-if", "N [--template T] [--days D]", "what price list N would have charged over the last days, beside what was (cloud admin)", cmdBillingWhatIf},
		{"billing rebuild", "[--department D] [--project P] --from T --to T", "re-derive a bill from the event log and compare it with the ledger (cloud admin)", cmdBillingRebuild},
		{"billing backup", "--file F", "back up all billing data (cloud admin; a reset needs it)", cmdBillingBackup},
		{"billing reset", "--backup-id ID", "delete all billing data, as uninstalling does (cloud admin)", cmdBillingReset},
		{"billing restore", "--file F", "load a backup into an empty billing (cloud admin)", cmdBillingRestore},
		{"billing export", "[--department D] [--project P] --from T --to T [--format xlsx|csv] [--file F]", "a bill as .xlsx or CSV, times in the billing timezone", cmdBillingExport},
		{"conformance driver", "PLUGIN --config FILE [--seed N] [--run REGEXP] [--out DIR] [--sweep] [--project P] [--datacenter DC] [-v]",
			"run the conformance suite against a driver plugin binary (exit 1 unless it conforms)", cmdConformanceDriver},
		{"conformance http", "--endpoint URL --username U (--password P | --password-stdin) --project NAME [--domain Default] [--project-domain D] [--second-username U2 --second-password P2 --second-project NAME2 [--second-domain D] [--second-project-domain D]] [--datacenter DC] [--ca-cert F | --insecure] [--state-timeout 2m] [--seed N] [--run REGEXP] [--out DIR] [-v]",
			"run the conformance suite against a deployment over HTTP(S), black-box (exit 1 unless it conforms)", cmdConformanceHTTP},
		{"version", "", "print the client's version", cmdVersion},
		{"help", "[COMMAND]", "show this text, or one command's", cmdHelp},
	}
}

const usageFooter = `Client commands read the credentials that login saves in $GISIAAS_CONFIG_DIR/credentials.json
(default: the user configuration directory, e.g. ~/.config/gisiaas/); GISIAAS_ENDPOINT, GISIAAS_TOKEN and
GISIAAS_PROJECT_ID override them. Every client command takes:
  -o, --output table|json   an aligned table (default), or the API's JSON: the object, or a list's array
  --ca-cert FILE            trust this PEM certificate too (saved by login)
  --insecure                do not verify the endpoint's certificate (saved by login)
  --request-timeout D       bound one HTTP call (default 60s)
Flags may follow arguments. Exit status: 0 done, 1 failed (the API's error is printed as
"404 Not Found: server x not found"), 2 misused.
`

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "gisiaas — one IaaS API over many clouds: the server, and a client for it.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: gisiaas COMMAND [ARGS] [FLAGS]")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, cmd := range commandTable() {
		fmt.Fprintf(tw, "  %s\t%s\n", cmd.name, cmd.summary)
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprint(w, usageFooter)
	fmt.Fprintln(w, "Run 'gisiaas help COMMAND' for a command's flags.")
}

// usageError is a misuse: exit 2 with the command's synopsis.
type usageError struct {
	msg     string
	printed bool // the flag package already said it
}

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

// lookup finds the command that args start with: "server list" before "server".
func lookup(args []string) (command, int, bool) {
	table := commandTable()
	if len(args) >= 2 {
		for _, cmd := range table {
			if cmd.name == args[0]+" "+args[1] {
				return cmd, 2, true
			}
		}
	}
	for _, cmd := range table {
		if cmd.name == args[0] {
			return cmd, 1, true
		}
	}
	return command{}, 0, false
}

// group lists the commands under a noun such as "server".
func group(noun string) []command {
	var out []command
	for _, cmd := range commandTable() {
		if strings.HasPrefix(cmd.name, noun+" ") {
			out = append(out, cmd)
		}
	}
	return out
}

func (c *cli) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		c.usage(c.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		c.usage(c.stdout)
		return 0
	case "--version", "-version":
		args = []string{"version"}
	}
	cmd, n, ok := lookup(args)
	if !ok {
		if cmds := group(args[0]); len(cmds) > 0 {
			if len(args) > 1 {
				fmt.Fprintf(c.stderr, "gisiaas: %s has no command %q\n", args[0], args[1])
			}
			fmt.Fprintf(c.stderr, "usage:\n")
			for _, g := range cmds {
				fmt.Fprintf(c.stderr, "  gisiaas %s %s\n", g.name, g.synopsis)
			}
			return 2
		}
		fmt.Fprintf(c.stderr, "gisiaas: unknown command %q; run 'gisiaas help'\n", args[0])
		return 2
	}
	if cmd.name == "serve" {
		// serve keeps its own flags and logging (main.go).
		return serveCommand(ctx, args[1:], c.stderr)
	}
	err := cmd.run(c, ctx, args[n:])
	var ue *usageError
	var ae *APIError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintf(c.stderr, "gisiaas %s: %s\nusage: gisiaas %s %s\n", cmd.name, ue.msg, cmd.name, cmd.synopsis)
		}
		return 2
	case errors.As(err, &ae):
		fmt.Fprintf(c.stderr, "gisiaas: %v\n", err)
		if ae.Status == http.StatusUnauthorized && cmd.name != "login" {
			fmt.Fprintln(c.stderr, "The token was refused: run gisiaas login.")
		}
		if ae.Status >= 500 && ae.RequestID != "" {
			fmt.Fprintf(c.stderr, "request id %s (give it to the operator)\n", ae.RequestID)
		}
		return 1
	default:
		fmt.Fprintf(c.stderr, "gisiaas: %v\n", err)
		return 1
	}
}

// common are the flags of every client command.
type common struct {
	output         string
	caCert         string
	insecure       bool
	requestTimeout time.Duration
}

// flagSet makes the flag set of one command with the common flags; errors
// return instead of exiting, so run stays testable.
func (c *cli) flagSet(name string) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet("gisiaas "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	com := &common{}
	fs.StringVar(&com.output, "o", "table", "output: table or json")
	fs.StringVar(&com.output, "output", "table", "output: table or json")
	fs.StringVar(&com.caCert, "ca-cert", "", "PEM file of a CA to trust besides the system's")
	fs.BoolVar(&com.insecure, "insecure", false, "do not verify the endpoint's TLS certificate")
	fs.DurationVar(&com.requestTimeout, "request-timeout", defaultRequestTimeout, "bound on one HTTP call")
	fs.Usage = func() {
		for _, cmd := range commandTable() {
			if cmd.name == name {
				fmt.Fprintf(fs.Output(), "usage: gisiaas %s %s\n\n%s.\n\nflags:\n", cmd.name, cmd.synopsis, cmd.summary)
			}
		}
		fs.PrintDefaults()
	}
	return fs, com
}

// parseArgs parses flags wherever they are among the arguments ("server
// show ID -o json"), which the flag package alone stops at; "--" ends flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{msg: err.Error(), printed: true}
		}
		consumed := len(args) - fs.NArg()
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, fs.Args()...)
			break
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if o := fs.Lookup("output"); o != nil {
		if v := o.Value.String(); v != "table" && v != "json" {
			return nil, usagef("-o %s: give table or json", v)
		}
	}
	return pos, nil
}

// stringList is a repeatable flag (--volume A --volume B); commas split too.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}

// connect is a client with the resolved credentials.
func (c *cli) connect(com *common) (*Client, error) {
	cr, err := c.resolveCredentials()
	if err != nil {
		return nil, err
	}
	return c.newClient(com, cr)
}

func (c *cli) newClient(com *common, cr *Credentials) (*Client, error) {
	opts := TLSOptions{CACert: cr.CACert, Insecure: cr.Insecure}
	if com.caCert != "" {
		opts.CACert = com.caCert
	}
	if com.insecure {
		opts.Insecure = true
	}
	hc, err := newHTTPClient(opts, com.requestTimeout)
	if err != nil {
		return nil, err
	}
	return &Client{Endpoint: cr.Endpoint, Token: cr.Token, ProjectID: cr.ProjectID, HTTP: hc,
		UserAgent: "gisiaas-cli/" + clientVersion(),
		Warn:      func(w string) { fmt.Fprintf(c.stderr, "warning: %s\n", warningText(w)) }}, nil
}

// warnRE is RFC 7234's warn-code warn-agent "warn-text".
var warnRE = regexp.MustCompile(`^\d{3} \S+ "(.*)"`)

// warningText is a Warning header's text without its code and agent.
func warningText(h string) string {
	if m := warnRE.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return h
}

// ---- output ----

func (c *cli) printJSON(raw json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("the answer is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := c.stdout.Write(buf.Bytes())
	return err
}

// column is one column of a list table: a member of each item, or a
// function of the item when the member needs digesting.
type column struct {
	header string
	key    string
	value  func(item map[string]json.RawMessage) string
}

// printList prints a list as an aligned table, or its array as returned.
func (c *cli) printList(raw json.RawMessage, com *common, cols []column) error {
	if com.output == "json" {
		return c.printJSON(raw)
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("the list in the answer: %w", err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for i, col := range cols {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, col.header)
	}
	fmt.Fprintln(tw)
	for _, it := range items {
		for i, col := range cols {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			v := ""
			if col.value != nil {
				v = col.value(it)
			} else {
				v = render(it[col.key])
			}
			fmt.Fprint(tw, cell(v))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// printOne prints one resource as FIELD VALUE lines in the API's order, or
// the object as returned.
func (c *cli) printOne(raw json.RawMessage, com *common) error {
	if com.output == "json" {
		return c.printJSON(raw)
	}
	fields, err := orderedFields(raw)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s\t%s\n", cell(f.key), cell(render(f.value)))
	}
	return tw.Flush()
}

type field struct {
	key   string
	value json.RawMessage
}

// orderedFields reads an object's members in the order the API wrote them,
// which a map would lose.
func orderedFields(raw json.RawMessage) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("the answer is not a JSON object")
	}
	var out []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{key: t.(string), value: v})
	}
	return out, nil
}

// render is a JSON value as a table cell: scalars as themselves, lists
// joined, objects as k=v, an address object as its address.
func render(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(raw)
	}
	return renderValue(v)
}

func renderValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		parts := make([]string, 0, len(v))
		sep := ","
		for _, e := range v {
			if _, ok := e.(map[string]any); ok {
				sep = "; "
			}
			if s := renderValue(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, sep)
	case map[string]any:
		for _, k := range []string{"address", "ip_address", "addr"} {
			if a, ok := v[k].(string); ok {
				return a
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if s := renderValue(v[k]); s != "" {
				parts = append(parts, k+"="+s)
			}
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// cell keeps a value on one line and free of terminal control characters
// (names are other users' input).
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return '?'
		}
		return r
	}, s)
}

// ---- version and help ----

func clientVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func cmdVersion(c *cli, _ context.Context, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				rev = ", commit " + s.Value[:12]
			}
		}
	}
	fmt.Fprintf(c.stdout, "gisiaas %s (%s %s/%s%s)\n", clientVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH, rev)
	return nil
}

func cmdHelp(c *cli, ctx context.Context, args []string) error {
	if len(args) == 0 {
		c.usage(c.stdout)
		return nil
	}
	cmd, n, ok := lookup(args)
	if !ok || n != len(args) {
		if cmds := group(args[0]); len(cmds) > 0 && len(args) == 1 {
			for _, g := range cmds {
				fmt.Fprintf(c.stdout, "gisiaas %s %s\n    %s\n", g.name, g.synopsis, g.summary)
			}
			return nil
		}
		return usagef("no command %q", strings.Join(args, " "))
	}
	if cmd.run == nil || cmd.name == "help" || cmd.name == "version" {
		fmt.Fprintf(c.stdout, "usage: gisiaas %s %s\n\n%s.\n", cmd.name, cmd.synopsis, cmd.summary)
		return nil
	}
	// The command's own flag set prints its flags: run it with -h.
	saved := c.stderr
	c.stderr = c.stdout
	defer func() { c.stderr = saved }()
	return cmd.run(c, ctx, []string{"-h"})
}
