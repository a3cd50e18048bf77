package main

import (
	"archive/zip"
	"bytes"
	"io"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestThousands(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{1, "1"}, {100, "100"}, {1000, "1,000"}, {10000, "10,000"}, {1234567, "1,234,567"}}
	for _, tt := range tests {
		if got := thousands(tt.n); got != tt.want {
			t.Errorf("thousands(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestJoinInts(t *testing.T) {
	tests := []struct {
		ns   []int
		want string
	}{{nil, ""}, {[]int{1}, "1"}, {[]int{1, 100}, "1 and 100"}, {[]int{1, 100, 10000}, "1, 100 and 10,000"}}
	for _, tt := range tests {
		if got := joinInts(tt.ns); got != tt.want {
			t.Errorf("joinInts(%v) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

func TestProcField(t *testing.T) {
	cpuinfo := []byte("processor\t: 0\nmodel name\t: Example CPU @ 2.00GHz\nflags\t\t: fpu\n\nprocessor\t: 1\nmodel name\t: Example CPU @ 2.00GHz\n")
	tests := []struct {
		raw       []byte
		key, want string
	}{
		{cpuinfo, "model name", "Example CPU @ 2.00GHz"},
		{cpuinfo, "processor", "0"},
		{cpuinfo, "Model", ""},
		{[]byte("MemTotal:       24576000 kB\n"), "MemTotal", "24576000 kB"},
	}
	for _, tt := range tests {
		if got := procField(tt.raw, tt.key); got != tt.want {
			t.Errorf("procField(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

// A clone of a case item carries the new id wherever the template carried its own, and
// nothing else changes.
func TestWithID(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	template := map[string]types.AttributeValue{
		"PK": s("ORG#O1"), "SK": s("CASE#C1"), "GSI1PK": s("ORG#O1#CLIENT#K1"), "GSI1SK": s("CASE#C1"),
		"id": s("C1"), "clientId": s("K1"), "name": s("Knee MRI"),
		"n": &types.AttributeValueMemberN{Value: "1"},
	}
	before := maps.Clone(template)
	got := withID(template, "C1", "C2")
	want := map[string]string{"PK": "ORG#O1", "SK": "CASE#C2", "GSI1PK": "ORG#O1#CLIENT#K1", "GSI1SK": "CASE#C2",
		"id": "C2", "clientId": "K1", "name": "Knee MRI"}
	for k, w := range want {
		if v := got[k].(*types.AttributeValueMemberS).Value; v != w {
			t.Errorf("%s = %q, want %q", k, v, w)
		}
	}
	if got["n"] != template["n"] || len(got) != len(template) {
		t.Errorf("clone = %v, want the other attributes as they were", got)
	}
	for k, v := range before {
		if template[k] != v {
			t.Errorf("withID changed the template's %s", k)
		}
	}
}

// The zip measured is the deployment package: one executable "bootstrap", deflated.
func TestZip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bin")
	content := bytes.Repeat([]byte("casescribe "), 10000)
	if err := os.WriteFile(path, content, 0o755); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeZip(&buf, bytes.NewReader(content), info); err != nil {
		t.Fatal(err)
	}
	n, err := zipSize(bytes.NewReader(content), info)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("zipSize = %d, want the archive's %d bytes", n, buf.Len())
	}
	if n >= int64(len(content)) {
		t.Errorf("zipped %d bytes of repetitive text into %d: not compressed", len(content), n)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Method != zip.Deflate || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("archive = %+v, want one executable bootstrap, deflated", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, content) {
		t.Errorf("bootstrap in the archive differs from the binary (%v)", err)
	}
}

// The functions' memory size is read from the project's own template.
func TestLambdaMemory(t *testing.T) {
	got, err := lambdaMemory(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if got <= 0 {
		t.Errorf("lambdaMemory() = %d, want the MemorySize of template.yaml's Globals", got)
	}
}
