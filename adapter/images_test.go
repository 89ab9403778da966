package adapter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gisiaas/gisiaas/adapter/store"
	"github.com/gisiaas/gisiaas/adapter/store/storetest"
)

// publicImage returns the id of a public image of dc as project sees it.
func (f *apiFixture) imagePublicID(project, token, dc string) string {
	f.t.Helper()
	return f.firstID("/v1/"+project+"/images?datacenter="+dc, token, "images", func(m map[string]any) bool {
		return m["visibility"] == "public" && m["project_id"] == ""
	})
}

// imageSourceServer creates a server of project in dc through the API and
// waits until it is ACTIVE.
func (f *apiFixture) imageSourceServer(project, token, dc string) string {
	f.t.Helper()
	img, net := f.simRefs(dc, project)
	base := "/v1/" + project + "/servers"
	id := f.must(202, "POST", base, token, serverBody("src", dc, img, net))["server"].(map[string]any)["id"].(string)
	f.waitFor(base+"/"+id, token, "server", "status", "ACTIVE")
	return id
}

// TestImagesHTTP_B231_B234_B236 proves an image made from a server
// (B.2.3.1: 202, saving, then active, in the server's datacenter), shown
// (B.2.3.4) and listed (B.2.3.6) with the project's and the public images,
// other projects' kept apart, and the errors of each.
func TestImagesHTTP_B231_B234_B236(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/images"
		srv := f.imageSourceServer(f.pa, f.alice, "dc2")

		body := map[string]any{"image": map[string]any{"name": "snap-1", "server_id": srv, "description": "before the upgrade",
			"image_tags": []any{"nightly"}}}
		im := f.must(202, "POST", base, f.alice, body, "Idempotency-Key", "img-1")["image"].(map[string]any)
		for _, k := range []string{"id", "name", "type", "status", "visibility", "protected", "image_tags", "min_ram_mb",
			"min_disk_gb", "size_bytes", "architecture", "file_location", "owner_id", "created_at", "datacenter_id", "project_id"} {
			if _, ok := im[k]; !ok {
				t.Errorf("image view lacks %s: %v", k, im)
			}
		}
		if im["datacenter_id"] != "dc2" || im["type"] != "snapshot" || im["source_server_id"] != srv || im["visibility"] != "private" ||
			im["owner_id"] != f.pa || im["project_id"] != f.pa || fmt.Sprint(im["image_tags"]) != "[nightly]" {
			t.Fatalf("created: %v", im)
		}
		id := im["id"].(string)
		// The same key and body answer the same image.
		resp, again := f.do("POST", base, f.alice, body, "Idempotency-Key", "img-1")
		if resp.StatusCode != 202 || again["image"].(map[string]any)["id"] != id {
			t.Fatalf("replay: %d %v", resp.StatusCode, again)
		}
		got := f.waitFor(base+"/"+id, f.alice, "image", "status", "active")
		if got["checksum"] == "" || got["size_bytes"].(float64) <= 0 || got["file_location"] == "" || got["description"] != "before the upgrade" ||
			!strings.HasSuffix(got["created_at"].(string), "Z") {
			t.Fatalf("active snapshot: %v", got)
		}

		// List: the project's own and the public ones, of every datacenter.
		list := f.must(200, "GET", base, f.alice, nil)["images"].([]any)
		mine, public := 0, map[string]int{}
		for _, it := range list {
			m := it.(map[string]any)
			switch {
			case m["id"] == id:
				mine++
			case m["visibility"] == "public":
				public[m["datacenter_id"].(string)]++
			default:
				t.Errorf("alice lists %v", m)
			}
		}
		if mine != 1 || public["dc1"] != 2 || public["dc2"] != 2 || len(list) != 5 {
			t.Fatalf("alice lists %d images: %d hers, public %v", len(list), mine, public)
		}
		if n := len(f.must(200, "GET", base+"?datacenter=dc1", f.alice, nil)["images"].([]any)); n != 2 {
			t.Fatalf("dc1 only: %d images, want 2", n)
		}
		page := f.must(200, "GET", base+"?limit=2", f.alice, nil)["images"].([]any)
		last := page[1].(map[string]any)["id"].(string)
		if rest := f.must(200, "GET", base+"?marker="+last, f.alice, nil)["images"].([]any); len(page)+len(rest) != 5 {
			t.Fatalf("pages of %d and %d images, want 5 in all", len(page), len(rest))
		}
		for _, it := range f.must(200, "GET", "/v1/"+f.pb+"/images", f.bob, nil)["images"].([]any) {
			if it.(map[string]any)["id"] == id {
				t.Fatal("bob lists alice's image")
			}
		}

		// Show: a public image is everyone's to read; another project's is not found.
		pub := f.imagePublicID(f.pb, f.bob, "dc1")
		if got := f.must(200, "GET", base+"/"+pub, f.alice, nil)["image"].(map[string]any); got["datacenter_id"] != "dc1" || got["status"] != "active" {
			t.Fatalf("public image: %v", got)
		}
		f.must(404, "GET", base+"/"+pub+"?datacenter=dc2", f.alice, nil)
		f.must(404, "GET", "/v1/"+f.pb+"/images/"+id, f.bob, nil)
		f.must(404, "GET", base+"/00000000-0000-4000-8000-000000000000", f.alice, nil)
		f.must(403, "GET", "/v1/"+f.pb+"/images/"+pub, f.alice, nil)
		f.must(403, "POST", "/v1/"+f.pb+"/images", f.alice, body)

		// Bad input: 400 naming the field; another project's server is answered as an unknown one.
		bobSrv := f.imageSourceServer(f.pb, f.bob, "dc1")
		bad := []struct {
			body   string
			status int
			field  string
		}{
			{`{"image":{"server_id":"` + srv + `"}}`, 400, "name"},
			{`{"image":{"name":"x","type":"iso"}}`, 400, "type"},
			{`{"image":{"name":"x","visibility":"shared"}}`, 400, "visibility"},
			{`{"image":{"name":"x","disk_format":"tar"}}`, 400, "disk_format"},
			{`{"image":{"name":"x","min_ram_mb":-1}}`, 400, "min_ram_mb"},
			{`{"image":{"name":"x","image_tags":[""]}}`, 400, "image_tags"},
			{`{"image":{"name":"x","colour":"red"}}`, 400, "colour"},
			{`{"image":{"name":"x","datacenter_id":"dc9"}}`, 400, "datacenter_id"},
			{`{"image":{"name":"x","server_id":"` + srv + `","datacenter_id":"dc1"}}`, 400, "server_id"},
			{`{"image":{"name":"x","server_id":"00000000-0000-4000-8000-000000000000"}}`, 400, "server_id"},
			{`{"image":{"name":"x","server_id":"` + bobSrv + `"}}`, 400, "server_id"}, // as the unknown one above
		}
		for _, c := range bad {
			resp, out := f.do("POST", base, f.alice, c.body)
			if resp.StatusCode != c.status || !strings.Contains(fmt.Sprint(out["error"]), c.field) {
				t.Errorf("%s: %d %v, want %d naming %s", c.body, resp.StatusCode, out, c.status, c.field)
			}
		}
	})
}

// imageDataReader yields n bytes of a fixed pattern, hashing what it gives;
// at gate bytes it runs check once, which may fail the read.
type imageDataReader struct {
	n, sent, gate int64
	check         func() error
	sum           hash.Hash
}

func (r *imageDataReader) Read(p []byte) (int, error) {
	if r.check != nil && r.sent >= r.gate {
		check := r.check
		r.check = nil
		if err := check(); err != nil {
			return 0, err
		}
	}
	if r.sent == r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.sent)]
	for i := range p {
		p[i] = byte((r.sent + int64(i)) * 31)
	}
	r.sent += int64(len(p))
	r.sum.Write(p)
	return len(p), nil
}

// upload PUTs data to an image's file as token; it answers the status and
// the decoded body, or fails the test when the request cannot be sent.
func (f *apiFixture) imageUpload(path, token, contentType string, data io.Reader) (int, map[string]any) {
	f.t.Helper()
	req, err := http.NewRequest("PUT", f.url+path, data)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("PUT %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		f.t.Fatalf("PUT %s: %d, body not JSON: %v", path, resp.StatusCode, err)
	}
	if resp.StatusCode >= 400 {
		checkErrorBody(f.t, "PUT "+path, resp.StatusCode, out)
	}
	return resp.StatusCode, out
}

// statusOf reads an image's status over HTTP without the test's helpers,
// which may not run off the test's goroutine.
func (f *apiFixture) imageStatusOf(path, token string) (string, error) {
	req, _ := http.NewRequest("GET", f.url+path, nil)
	req.Header.Set("X-Auth-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Image struct {
			Status string `json:"status"`
		} `json:"image"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Image.Status, err
}

// TestImagesHTTP_B232 proves the streamed upload (B.2.3.2): an empty image
// is made queued, several MiB from a reader go through without the 1 MiB
// body bound and without being buffered (the driver is saving while the
// client is still sending), the image turns active with the size and the
// checksum of what was sent, and the errors of the route.
func TestImagesHTTP_B232(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/images"
		im := f.must(202, "POST", base, f.alice, map[string]any{"image": map[string]any{"name": "blank", "disk_format": "raw"}})["image"].(map[string]any)
		if im["status"] != "queued" || im["type"] != "image" || im["datacenter_id"] != "dc1" || im["size_bytes"] != 0.0 {
			t.Fatalf("empty image: %v", im)
		}
		path := base + "/" + im["id"].(string)

		const size = 8 << 20
		data := &imageDataReader{n: size, gate: size / 2, sum: sha256.New()}
		data.check = func() error {
			// Half sent: a driver fed as the data comes is saving by now;
			// one waiting for the whole body is not.
			deadline := time.Now().Add(10 * time.Second)
			for {
				st, err := f.imageStatusOf(path, f.alice)
				if st == "saving" {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("half the data sent and the image is %q (%v), not saving: the upload is buffered", st, err)
				}
				<-time.After(10 * time.Millisecond) // polls, as waitFor does
			}
		}
		code, out := f.imageUpload(path+"/file?source=blank.raw", f.alice, "application/octet-stream", data)
		if code != 200 {
			t.Fatalf("upload: %d %v", code, out)
		}
		got := out["image"].(map[string]any)
		if got["status"] != "active" || got["size_bytes"] != float64(size) || got["checksum"] != hex.EncodeToString(data.sum.Sum(nil)) ||
			got["disk_format"] != "raw" || got["properties"].(map[string]any)["source"] != "blank.raw" {
			t.Fatalf("uploaded: %v", got)
		}
		if shown := f.must(200, "GET", path, f.alice, nil)["image"].(map[string]any); shown["status"] != "active" || shown["size_bytes"] != float64(size) {
			t.Fatalf("shown after upload: %v", shown)
		}

		// Errors: the image has data (409); the wrong media type, a bad or
		// missing disk format (400); another project's image, an unknown id
		// (404); a public image (403 to members, 409 to the admin: it has data).
		small := func() io.Reader { return strings.NewReader("data") }
		if code, out := f.imageUpload(path+"/file", f.alice, "application/octet-stream", small()); code != 409 {
			t.Fatalf("second upload: %d %v", code, out)
		}
		fresh := f.must(202, "POST", base, f.alice, map[string]any{"image": map[string]any{"name": "no-format"}})["image"].(map[string]any)
		fpath := base + "/" + fresh["id"].(string) + "/file"
		cases := []struct {
			path, ct string
			status   int
			field    string
		}{
			{fpath, "application/json", 400, "Content-Type"},
			{fpath, "application/octet-stream", 400, "disk_format"},
			{fpath + "?disk_format=tar", "application/octet-stream", 400, "disk_format"},
			{"/v1/" + f.pb + "/images/" + fresh["id"].(string) + "/file?disk_format=raw", "application/octet-stream", 404, "not found"},
			{base + "/00000000-0000-4000-8000-000000000000/file?disk_format=raw", "application/octet-stream", 404, "not found"},
			{base + "/" + f.imagePublicID(f.pa, f.alice, "dc1") + "/file?disk_format=raw", "application/octet-stream", 403, "cloud admin"},
		}
		for _, c := range cases {
			token := f.alice
			if strings.HasPrefix(c.path, "/v1/"+f.pb) {
				token = f.bob
			}
			code, out := f.imageUpload(c.path, token, c.ct, small())
			if code != c.status || !strings.Contains(fmt.Sprint(out["error"]), c.field) {
				t.Errorf("PUT %s (%s): %d %v, want %d naming %s", c.path, c.ct, code, out, c.status, c.field)
			}
		}
		pub := f.imagePublicID(f.padmin, f.admin, "dc1")
		if code, out := f.imageUpload("/v1/"+f.padmin+"/images/"+pub+"/file?disk_format=raw", f.admin, "application/octet-stream", small()); code != 409 {
			t.Fatalf("admin upload to an active public image: %d %v", code, out)
		}
		// The refusals left the image queued: a good upload still works.
		if code, out := f.imageUpload(fpath+"?disk_format=qcow2", f.alice, "application/octet-stream", small()); code != 200 ||
			out["image"].(map[string]any)["size_bytes"] != 4.0 {
			t.Fatalf("upload after refusals: %d %v", code, out)
		}
	})
}

// TestImagesHTTP_B233_B235 proves update by patch (B.2.3.5: add, replace,
// remove, in Glance's media type or JSON, all or none) and delete (B.2.3.3:
// a protected image is 409), and that a public image is changed by a cloud
// admin only.
func TestImagesHTTP_B233_B235(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newAPIFixture(t, db)
		base := "/v1/" + f.pa + "/images"
		id := f.must(202, "POST", base, f.alice, map[string]any{"image": map[string]any{"name": "patched"}})["image"].(map[string]any)["id"].(string)
		path := base + "/" + id
		glance := []string{"Content-Type", imagePatchType}

		ops := []any{
			map[string]any{"op": "replace", "path": "/name", "value": "renamed"},
			map[string]any{"op": "add", "path": "/description", "value": "patched twice"},
			map[string]any{"op": "add", "path": "/os_distro", "value": "debian"},
			map[string]any{"op": "replace", "path": "/protected", "value": true},
			map[string]any{"op": "add", "path": "/tags", "value": []any{"a", "b"}},
			map[string]any{"op": "replace", "path": "/min_ram_mb", "value": 512},
		}
		got := f.must(200, "PATCH", path, f.alice, ops, glance...)["image"].(map[string]any)
		if got["name"] != "renamed" || got["description"] != "patched twice" || got["protected"] != true || got["min_ram_mb"] != 512.0 ||
			fmt.Sprint(got["image_tags"]) != "[a b]" || got["properties"].(map[string]any)["os_distro"] != "debian" {
			t.Fatalf("patched: %v", got)
		}
		// Plain JSON is taken too.
		got = f.must(200, "PATCH", path, f.alice, []any{map[string]any{"op": "remove", "path": "/description"}})["image"].(map[string]any)
		if got["description"] != "" {
			t.Fatalf("description removed: %v", got)
		}

		bad := []struct {
			body   string
			ct     string
			status int
			field  string
		}{
			{`[{"op":"add","path":"/name","value":"x"}]`, imagePatchType, 400, "exists"},
			{`[{"op":"replace","path":"/architecture","value":"x86_64"}]`, imagePatchType, 400, "does not exist"},
			{`[{"op":"replace","path":"/status","value":"active"}]`, imagePatchType, 403, "read-only"},
			{`[{"op":"move","path":"/name"}]`, imagePatchType, 400, "op"},
			{`[{"op":"replace","path":"name","value":"x"}]`, imagePatchType, 400, "path"},
			{`[{"op":"replace","path":"/min_disk_gb","value":"big"}]`, imagePatchType, 400, "min_disk_gb"},
			{`[]`, imagePatchType, 400, "body"},
			{`[{"op":"replace","path":"/name","value":"x"}]`, "text/plain", 400, "Content-Type"},
			{`[{"op":"replace","path":"/name","value":"x"}`, imagePatchType, 400, "malformed JSON"},
		}
		for _, c := range bad {
			resp, out := f.do("PATCH", path, f.alice, c.body, "Content-Type", c.ct)
			if resp.StatusCode != c.status || !strings.Contains(fmt.Sprint(out["error"]), c.field) {
				t.Errorf("%s (%s): %d %v, want %d naming %s", c.body, c.ct, resp.StatusCode, out, c.status, c.field)
			}
		}
		// All or none: a patch failing at its second operation changed nothing.
		f.must(400, "PATCH", path, f.alice, []any{map[string]any{"op": "replace", "path": "/name", "value": "half"},
			map[string]any{"op": "add", "path": "/name", "value": "x"}}, glance...)
		if got := f.must(200, "GET", path, f.alice, nil)["image"].(map[string]any); got["name"] != "renamed" {
			t.Fatalf("after a refused patch: %v", got)
		}

		// Another project's image is not found; another project's path forbidden.
		rename := []any{map[string]any{"op": "replace", "path": "/name", "value": "bob's"}}
		f.must(404, "PATCH", "/v1/"+f.pb+"/images/"+id, f.bob, rename, glance...)
		f.must(404, "DELETE", "/v1/"+f.pb+"/images/"+id, f.bob, nil)
		f.must(403, "PATCH", "/v1/"+f.pb+"/images/"+id, f.alice, rename, glance...)
		f.must(404, "PATCH", base+"/00000000-0000-4000-8000-000000000000", f.alice, rename, glance...)

		// Delete: protected is 409; unprotected, 204 and then 404.
		f.must(409, "DELETE", path, f.alice, nil)
		f.must(200, "PATCH", path, f.alice, []any{map[string]any{"op": "replace", "path": "/protected", "value": false}}, glance...)
		f.must(204, "DELETE", path, f.alice, nil)
		f.must(404, "GET", path, f.alice, nil)
		f.must(404, "DELETE", path, f.alice, nil)

		// A public image: members may read it, not change it; the admin may.
		pub := f.imagePublicID(f.pa, f.alice, "dc2")
		f.must(403, "PATCH", base+"/"+pub, f.alice, rename, glance...)
		f.must(403, "DELETE", base+"/"+pub, f.alice, nil)
		admin := "/v1/" + f.padmin + "/images/" + pub
		got = f.must(200, "PATCH", admin, f.admin, []any{map[string]any{"op": "add", "path": "/os_distro", "value": "cirros"}}, glance...)["image"].(map[string]any)
		if got["properties"].(map[string]any)["os_distro"] != "cirros" || got["datacenter_id"] != "dc2" {
			t.Fatalf("admin patched a public image: %v", got)
		}
		f.must(204, "DELETE", admin, f.admin, nil)
		f.must(404, "GET", base+"/"+pub, f.alice, nil)
	})
}
