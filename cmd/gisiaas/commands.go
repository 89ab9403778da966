package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// resource describes one collection of /v1/{project}/…: its path, the
// singular and plural members its bodies wrap, its table, and the states a
// wait treats as failure.
type resource struct {
	kind    string // "server": messages and the singular body member
	path    string // "servers": the path segment and the plural member
	columns []column
	failed  []string
}

var (
	serverRes = resource{kind: "server", path: "servers", failed: []string{"ERROR"}, columns: []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "STATUS", key: "status"},
		{header: "FLAVOR", key: "flavor_id"}, {header: "IMAGE", key: "image_id"},
		{header: "ADDRESSES", key: "addresses"}, {header: "DATACENTER", key: "datacenter_id"},
	}}
	volumeRes = resource{kind: "volume", path: "volumes", failed: []string{"error"}, columns: []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "SIZE_GB", key: "size_gb"},
		{header: "STATUS", key: "status"}, {header: "TYPE", key: "volume_type"},
		{header: "ATTACHED_TO", value: attachedTo}, {header: "DATACENTER", key: "datacenter_id"},
	}}
	flavorRes = resource{kind: "flavor", path: "flavors", columns: []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "VCPUS", key: "vcpus"},
		{header: "MEMORY_MB", key: "memory_mb"}, {header: "DISK_GB", key: "disk_gb"}, {header: "PUBLIC", key: "public"},
		{header: "DATACENTER", key: "datacenter_id"},
	}}
	imageRes = resource{kind: "image", path: "images", columns: []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "STATUS", key: "status"},
		{header: "VISIBILITY", key: "visibility"}, {header: "MIN_DISK_GB", key: "min_disk_gb"},
		{header: "SIZE_BYTES", key: "size_bytes"}, {header: "DATACENTER", key: "datacenter_id"},
	}}
	networkRes = resource{kind: "network", path: "networks", columns: []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "STATUS", key: "status"},
		{header: "EXTERNAL", key: "external"}, {header: "SUBNETS", value: subnets},
		{header: "DATACENTER", key: "datacenter_id"},
	}}
	publicIPRes = resource{kind: "publicip", path: "publicips", columns: []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "ADDRESS", key: "address"},
		{header: "STATUS", key: "status"}, {header: "SERVER", key: "server_id"},
		{header: "DATACENTER", key: "datacenter_id"},
	}}
)

// attachedTo digests a volume's attachments to the servers' ids.
func attachedTo(it map[string]json.RawMessage) string {
	var atts []struct {
		ServerID string `json:"server_id"`
	}
	if json.Unmarshal(it["attachments"], &atts) != nil {
		return render(it["attachments"])
	}
	ids := make([]string, 0, len(atts))
	for _, a := range atts {
		ids = append(ids, a.ServerID)
	}
	return strings.Join(ids, ",")
}

// subnets digests a network's subnets to their CIDRs.
func subnets(it map[string]json.RawMessage) string {
	var sns []struct {
		CIDR string `json:"cidr"`
	}
	if json.Unmarshal(it["subnets"], &sns) != nil {
		return render(it["subnets"])
	}
	cidrs := make([]string, 0, len(sns))
	for _, s := range sns {
		cidrs = append(cidrs, s.CIDR)
	}
	return strings.Join(cidrs, ",")
}

func cmdDatacenterList(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("datacenter list")
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	raw, err := cl.getJSON(ctx, cl.projectPath("datacenters"), "datacenters", nil)
	if err != nil {
		return err
	}
	return c.printList(raw, com, []column{
		{header: "ID", key: "id"}, {header: "NAME", key: "name"}, {header: "KIND", key: "kind"},
		{header: "DRIVER", key: "driver"}, {header: "VERSION", key: "version"}, {header: "HEALTH", key: "health"},
		{header: "DETAIL", key: "health_detail"},
		{header: "CLAUSES", value: func(it map[string]json.RawMessage) string {
			var cs []string
			_ = json.Unmarshal(it["capabilities"], &cs)
			return strconv.Itoa(len(cs))
		}},
	})
}

func listCmd(r resource) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet(r.kind + " list")
		dc := fset.String("datacenter", "", "only this datacenter")
		limit := fset.Int("limit", 0, "at most this many (0: the API's default)")
		marker := fset.String("marker", "", "start after this id (paging)")
		pos, err := parseArgs(fset, args)
		if err != nil {
			return err
		}
		if len(pos) > 0 {
			return usagef("unexpected argument %q", pos[0])
		}
		q := url.Values{}
		if *dc != "" {
			q.Set("datacenter", *dc)
		}
		if *limit > 0 {
			q.Set("limit", strconv.Itoa(*limit))
		}
		if *marker != "" {
			q.Set("marker", *marker)
		}
		cl, err := c.connect(com)
		if err != nil {
			return err
		}
		raw, err := cl.getJSON(ctx, cl.projectPath(r.path), r.path, q)
		if err != nil {
			return err
		}
		return c.printList(raw, com, r.columns)
	}
}

// oneID parses a command that takes exactly one id.
func oneID(fset *flag.FlagSet, args []string) (string, error) {
	pos, err := parseArgs(fset, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("give one ID")
	}
	return pos[0], nil
}

func showCmd(r resource) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet(r.kind + " show")
		id, err := oneID(fset, args)
		if err != nil {
			return err
		}
		cl, err := c.connect(com)
		if err != nil {
			return err
		}
		raw, err := cl.getJSON(ctx, cl.projectPath(r.path, id), r.kind, nil)
		if err != nil {
			return err
		}
		return c.printOne(raw, com)
	}
}

// waitFlags are the flags of every command that can wait.
type waitFlags struct {
	wait     bool
	timeout  time.Duration
	interval time.Duration
}

func addWaitFlags(fset *flag.FlagSet, withSwitch bool) *waitFlags {
	w := &waitFlags{wait: !withSwitch}
	if withSwitch {
		fset.BoolVar(&w.wait, "wait", false, "wait until the operation has finished")
	}
	fset.DurationVar(&w.timeout, "timeout", 5*time.Minute, "how long to wait")
	fset.DurationVar(&w.interval, "interval", 2*time.Second, "how often to ask while waiting")
	return w
}

// await polls r/id until its status is one of want (case-insensitive;
// DELETED also matches a 404), one of r.failed, or the timeout. It prints
// each status change to stderr, so a long wait shows progress.
func (c *cli) await(ctx context.Context, cl *Client, r resource, id string, want []string, w *waitFlags) (json.RawMessage, error) {
	if w.interval <= 0 {
		return nil, usagef("--interval must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	wantDeleted := false
	for _, s := range want {
		wantDeleted = wantDeleted || strings.EqualFold(s, "DELETED")
	}
	last := ""
	for {
		raw, err := cl.getJSON(ctx, cl.projectPath(r.path, id), r.kind, nil)
		switch {
		case err == nil:
			var st struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(raw, &st); err != nil {
				return nil, fmt.Errorf("%s %s: %w", r.kind, id, err)
			}
			if st.Status != last {
				fmt.Fprintf(c.stderr, "%s %s: %s\n", r.kind, id, st.Status)
				last = st.Status
			}
			for _, s := range want {
				if strings.EqualFold(st.Status, s) {
					return raw, nil
				}
			}
			for _, s := range r.failed {
				if strings.EqualFold(st.Status, s) {
					return raw, fmt.Errorf("%s %s is %s", r.kind, id, st.Status)
				}
			}
		case wantDeleted && statusOf(err) == http.StatusNotFound:
			fmt.Fprintf(c.stderr, "%s %s: deleted\n", r.kind, id)
			return nil, nil
		case statusOf(err) == http.StatusTooManyRequests || statusOf(err) == http.StatusServiceUnavailable:
			// Transient: the API asked to come back later; the next tick does.
			fmt.Fprintf(c.stderr, "%s %s: %v (retrying)\n", r.kind, id, err)
		case ctx.Err() != nil:
			// The deadline fell during the call: report it as the timeout below.
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("timed out after %s waiting for %s %s to be %s (last seen: %s)",
					w.timeout, r.kind, id, strings.Join(want, " or "), orUnknown(last))
			}
			return nil, ctx.Err()
		case <-ticker.C:
		}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func waitCmd(r resource) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet(r.kind + " wait")
		def := "ACTIVE"
		if r.kind == "volume" {
			def = "available"
		}
		status := fset.String("status", def, "the status to wait for; DELETED waits until it is gone")
		w := addWaitFlags(fset, false)
		id, err := oneID(fset, args)
		if err != nil {
			return err
		}
		cl, err := c.connect(com)
		if err != nil {
			return err
		}
		raw, err := c.await(ctx, cl, r, id, []string{*status}, w)
		if err != nil || raw == nil {
			return err
		}
		return c.printOne(raw, com)
	}
}

func deleteCmd(r resource) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet(r.kind + " delete")
		var w *waitFlags
		if r.kind != "publicip" {
			w = addWaitFlags(fset, true)
		}
		ids, err := parseArgs(fset, args)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return usagef("give at least one ID")
		}
		cl, err := c.connect(com)
		if err != nil {
			return err
		}
		// Every id is tried; any failure makes the exit status 1.
		failed := 0
		for _, id := range ids {
			_, err := cl.Do(ctx, request{method: http.MethodDelete, path: cl.projectPath(r.path, id)})
			if err == nil && w != nil && w.wait {
				_, err = c.await(ctx, cl, r, id, []string{"DELETED"}, w)
			}
			if err != nil {
				if len(ids) == 1 {
					return err
				}
				fmt.Fprintf(c.stderr, "%s %s: %v\n", r.kind, id, err)
				failed++
				continue
			}
			switch {
			case com.output == "json":
			case w != nil && w.wait:
				fmt.Fprintf(c.stdout, "Deleted %s %s.\n", r.kind, id)
			default:
				// The cloud accepted it; the resource may linger while it goes.
				fmt.Fprintf(c.stdout, "Deleting %s %s.\n", r.kind, id)
			}
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d %ss were not deleted", failed, len(ids), r.kind)
		}
		return nil
	}
}

// created prints the answer to a create, or waits for the resource first.
func (c *cli) created(ctx context.Context, cl *Client, com *common, r resource, resp *Response, want string, w *waitFlags) error {
	raw, err := member(resp.Body, r.kind)
	if err != nil {
		return err
	}
	if w.wait {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &v); err != nil || v.ID == "" {
			return fmt.Errorf("the created %s has no id to wait on", r.kind)
		}
		if raw, err = c.await(ctx, cl, r, v.ID, []string{want}, w); err != nil {
			return err
		}
	}
	return c.printOne(raw, com)
}

func cmdServerCreate(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("server create")
	name := fset.String("name", "", "name (required)")
	desc := fset.String("description", "", "description")
	flavor := fset.String("flavor", "", "flavor id (required)")
	image := fset.String("image", "", "image id")
	var networks, volumes, groups, meta stringList
	fset.Var(&networks, "network", "network id to attach to (repeatable)")
	fset.Var(&volumes, "volume", "existing volume id to attach as a block device (repeatable)")
	fset.Var(&groups, "security-group", "security group id (repeatable)")
	fset.Var(&meta, "metadata", "KEY=VALUE (repeatable)")
	userData := fset.String("user-data", "", "file of user data (cloud-init), sent base64-encoded")
	dc := fset.String("datacenter", "", "datacenter id (default: the API's choice)")
	idem := fset.String("idempotency-key", "", "make a retried create return the first one's server")
	w := addWaitFlags(fset, true)
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the name goes in --name)", pos[0])
	}
	if *name == "" {
		return usagef("--name is required")
	}
	if *flavor == "" {
		return usagef("--flavor is required")
	}
	s := map[string]any{"name": *name, "flavor_id": *flavor}
	set := func(k, v string) {
		if v != "" {
			s[k] = v
		}
	}
	set("description", *desc)
	set("image_id", *image)
	set("datacenter_id", *dc)
	if len(networks) > 0 {
		nets := make([]map[string]string, 0, len(networks))
		for _, n := range networks {
			nets = append(nets, map[string]string{"network_id": n})
		}
		s["networks"] = nets
	}
	if len(volumes) > 0 {
		bds := make([]map[string]string, 0, len(volumes))
		for _, v := range volumes {
			bds = append(bds, map[string]string{"source_type": "volume", "uuid": v})
		}
		s["block_devices"] = bds
	}
	if len(groups) > 0 {
		s["security_group_ids"] = []string(groups)
	}
	if len(meta) > 0 {
		m := map[string]string{}
		for _, kv := range meta {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usagef("--metadata %q: give KEY=VALUE", kv)
			}
			m[k] = v
		}
		s["metadata"] = m
	}
	if *userData != "" {
		b, err := os.ReadFile(*userData)
		if err != nil {
			return fmt.Errorf("--user-data: %w", err)
		}
		s["user_data"] = base64.StdEncoding.EncodeToString(b)
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	req := request{method: http.MethodPost, path: cl.projectPath("servers"), body: map[string]any{"server": s}}
	if *idem != "" {
		req.header = http.Header{"Idempotency-Key": {*idem}}
	}
	resp, err := cl.Do(ctx, req)
	if err != nil {
		return err
	}
	return c.created(ctx, cl, com, serverRes, resp, "ACTIVE", w)
}

func cmdVolumeCreate(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("volume create")
	name := fset.String("name", "", "name (required)")
	size := fset.Int64("size", 0, "size in GB (required)")
	typ := fset.String("type", "", "volume type (default: the datacenter's)")
	desc := fset.String("description", "", "description")
	dc := fset.String("datacenter", "", "datacenter id (default: the API's choice)")
	w := addWaitFlags(fset, true)
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (the name goes in --name)", pos[0])
	}
	if *name == "" {
		return usagef("--name is required")
	}
	if *size <= 0 {
		return usagef("--size is required, in GB")
	}
	v := map[string]any{"name": *name, "size_gb": *size}
	for k, s := range map[string]string{"volume_type": *typ, "description": *desc, "datacenter_id": *dc} {
		if s != "" {
			v[k] = s
		}
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	resp, err := cl.Do(ctx, request{method: http.MethodPost, path: cl.projectPath("volumes"), body: map[string]any{"volume": v}})
	if err != nil {
		return err
	}
	return c.created(ctx, cl, com, volumeRes, resp, "available", w)
}

func cmdPublicIPCreate(c *cli, ctx context.Context, args []string) error {
	fset, com := c.flagSet("publicip create")
	name := fset.String("name", "", "name")
	dc := fset.String("datacenter", "", "datacenter id (default: the API's choice)")
	pos, err := parseArgs(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	ip := map[string]any{}
	if *name != "" {
		ip["name"] = *name
	}
	if *dc != "" {
		ip["datacenter_id"] = *dc
	}
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	resp, err := cl.Do(ctx, request{method: http.MethodPost, path: cl.projectPath("publicips"), body: map[string]any{"publicip": ip}})
	if err != nil {
		return err
	}
	raw, err := member(resp.Body, "publicip")
	if err != nil {
		return err
	}
	return c.printOne(raw, com)
}

// act POSTs an action (body nil: none, for routes that read an empty body
// as "no options") and reports it: with w.wait, the resource once it
// reaches want; else what the answer says.
func (c *cli) act(ctx context.Context, com *common, r resource, id, verb string, body any, w *waitFlags, want ...string) error {
	cl, err := c.connect(com)
	if err != nil {
		return err
	}
	resp, err := cl.Do(ctx, request{method: http.MethodPost, path: cl.projectPath(r.path, id, verb), body: body})
	if err != nil {
		return err
	}
	if w != nil && w.wait && len(want) > 0 {
		raw, err := c.await(ctx, cl, r, id, want, w)
		if err != nil {
			return err
		}
		return c.printOne(raw, com)
	}
	// Synchronous actions (attach, bind) answer the resource; asynchronous
	// ones 202 and no body.
	if len(bytes.TrimSpace(resp.Body)) > 0 {
		if raw, err := member(resp.Body, r.kind); err == nil {
			return c.printOne(raw, com)
		}
		if com.output == "json" {
			return c.printJSON(resp.Body)
		}
	}
	if com.output != "json" {
		fmt.Fprintf(c.stdout, "%s %s: %s accepted.\n", r.kind, id, verb)
	}
	return nil
}

// serverAction is start, stop, reboot, resize, confirm-resize, revert-resize
// or live-migrate; want are the statuses --wait waits for.
func serverAction(verb string, want ...string) func(c *cli, ctx context.Context, args []string) error {
	name := map[string]string{"live-migrate": "migrate"}[verb]
	if name == "" {
		name = verb
	}
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet("server " + name)
		hard := new(bool)
		flavor, host := new(string), new(string)
		switch verb {
		case "reboot":
			hard = fset.Bool("hard", false, "power-cycle instead of asking the guest")
		case "resize":
			flavor = fset.String("flavor", "", "the new flavor id (required)")
		case "live-migrate":
			host = fset.String("host", "", "target host (required)")
		}
		w := addWaitFlags(fset, true)
		id, err := oneID(fset, args)
		if err != nil {
			return err
		}
		var body any
		switch verb {
		case "reboot":
			t := "SOFT"
			if *hard {
				t = "HARD"
			}
			body = map[string]string{"type": t}
		case "resize":
			if *flavor == "" {
				return usagef("--flavor is required")
			}
			body = map[string]string{"flavor_id": *flavor}
		case "live-migrate":
			if *host == "" {
				return usagef("--host is required")
			}
			body = map[string]string{"host": *host}
		}
		return c.act(ctx, com, serverRes, id, verb, body, w, want...)
	}
}

func volumeAction(verb string) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet("volume " + verb)
		server, mountpoint, mode := new(string), new(string), new(string)
		size := new(int64)
		switch verb {
		case "attach":
			server = fset.String("server", "", "server id (required)")
			mountpoint = fset.String("mountpoint", "", "device in the guest, e.g. /dev/vdb (default: the next free)")
			mode = fset.String("mode", "", "rw or ro (default rw)")
		case "detach":
			server = fset.String("server", "", "server id (required)")
		case "extend":
			size = fset.Int64("size", 0, "the new size in GB (required)")
		}
		w := addWaitFlags(fset, true)
		id, err := oneID(fset, args)
		if err != nil {
			return err
		}
		body := map[string]any{}
		want := "available"
		switch verb {
		case "attach":
			if *server == "" {
				return usagef("--server is required")
			}
			if *mode != "" && *mode != "rw" && *mode != "ro" {
				return usagef("--mode %s: give rw or ro", *mode)
			}
			body["server_id"] = *server
			if *mountpoint != "" {
				body["mountpoint"] = *mountpoint
			}
			if *mode != "" {
				body["mode"] = *mode
			}
			want = "in-use"
		case "detach":
			if *server == "" {
				return usagef("--server is required")
			}
			body["server_id"] = *server
		case "extend":
			if *size <= 0 {
				return usagef("--size is required, in GB")
			}
			body["size_gb"] = *size
		}
		return c.act(ctx, com, volumeRes, id, verb, body, w, want)
	}
}

func publicIPAction(verb string) func(c *cli, ctx context.Context, args []string) error {
	return func(c *cli, ctx context.Context, args []string) error {
		fset, com := c.flagSet("publicip " + verb)
		server := fset.String("server", "", "server id")
		id, err := oneID(fset, args)
		if err != nil {
			return err
		}
		if verb == "bind" && *server == "" {
			return usagef("--server is required")
		}
		var body any // unbind without a body: from whatever it is bound to
		if *server != "" {
			body = map[string]string{"server_id": *server}
		}
		return c.act(ctx, com, publicIPRes, id, verb, body, nil)
	}
}
