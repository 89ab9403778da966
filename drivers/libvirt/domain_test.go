package libvirt

import (
	"strings"
	"testing"
	"time"
)

func TestDomainXMLCarriesTheRecord(t *testing.T) {
	m := serverMeta{Name: `a <b> & "c"`, FlavorID: "f", DatacenterID: "dc", Tags: map[string]string{"k": "v&<>"}, CreatedAt: time.Unix(1, 0).UTC()}
	spec := domainSpec{id: "6f1c1c8e-0000-4000-8000-000000000001", typ: "qemu", machine: "pc", meta: m, vcpus: 1, maxVCPUs: 4, memMB: 512,
		rootPath: "/p/disk", rootFormat: "qcow2", boot: &BootConfig{Kernel: "/k", Initrd: "/i", Cmdline: "console=ttyS0"}, console: "/c.log"}
	x, err := spec.xml()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<domain type='qemu'>", "current='1'>4</vcpu>", "<kernel>/k</kernel>", "<serial type='file'><source path='/c.log'/>",
		"machine='pc'", "<name>gisiaas-6f1c1c8e-0000-4000-8000-000000000001</name>"} {
		if !strings.Contains(x, want) {
			t.Errorf("domain XML lacks %q:\n%s", want, x)
		}
	}
	px, err := parseDomain(x)
	if err != nil || px.VCPU.Max != 4 || px.VCPU.Current != 1 || px.memoryMiB() != 512 || len(px.Disks) != 1 || px.Disks[0].Source.File != "/p/disk" {
		t.Fatalf("parsed %+v %v", px, err)
	}
	// The record survives the trip through the metadata element.
	el, err := m.metaXML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseMeta(el)
	if err != nil || back.Name != m.Name || back.Tags["k"] != "v&<>" || !back.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("record %+v %v", back, err)
	}
}

func TestRemoveAndInsertDisk(t *testing.T) {
	x := "<domain><devices><disk type='file'><source file='/a'/></disk><disk type='file'><source file='/b'/></disk></devices></domain>"
	y, ok := removeDisk(x, "/b")
	if !ok || strings.Contains(y, "/b") || !strings.Contains(y, "/a") {
		t.Fatalf("removeDisk: %s %v", y, ok)
	}
	if _, ok := removeDisk(x, "/c"); ok {
		t.Fatal("removeDisk found a disk that is not there")
	}
	z, ok := insertDisk(y, "<disk type='file'><source file='/c'/></disk>")
	if !ok || !strings.Contains(z, "/c'/></disk>\n</devices>") {
		t.Fatalf("insertDisk: %s", z)
	}
}
