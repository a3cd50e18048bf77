package main

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Reference Lambdas, built and measured beside the functions (see their package comments).
const (
	hello         = "hello"
	helloSDK      = "hello-sdk"
	helloConfig   = "hello-config"
	helloTemplate = "hello-template"
)

// references are the reference Lambdas' packages, by name.
var references = map[string]string{
	hello:         "./infra/bench/hello",
	helloSDK:      "./infra/bench/hello-sdk",
	helloConfig:   "./infra/bench/hello-config",
	helloTemplate: "./infra/bench/hello-template",
}

// referenceNames lists the references in the order the report shows them.
var referenceNames = []string{hello, helloSDK, helloConfig, helloTemplate}

// functionNames lists the directories under functions/, sorted.
func functionNames(root string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			if _, clash := references[e.Name()]; clash {
				return nil, fmt.Errorf("function %q has the name of a reference Lambda of the benchmark", e.Name())
			}
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, errors.New("list functions: no directory under functions/")
	}
	return names, nil
}

// buildAll builds every function and reference Lambda as deployed (CGO_ENABLED=0, -tags
// lambda.norpc -trimpath -ldflags "-s -w") for goos/goarch, into dir/<name>/bootstrap, and
// returns the binaries' paths by name. One go build builds them all, so that the links run in
// parallel.
func buildAll(ctx context.Context, root, dir, goos, goarch string, functions []string) (map[string]string, error) {
	out := filepath.Join(dir, goos+"_"+goarch)
	built := filepath.Join(out, "built")
	if err := os.MkdirAll(built, 0o755); err != nil {
		return nil, fmt.Errorf("build for %s/%s: %w", goos, goarch, err)
	}
	pkgs := map[string]string{}
	for _, f := range functions {
		pkgs[f] = "./functions/" + f
	}
	maps.Copy(pkgs, references)
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", built + string(filepath.Separator)}
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		args = append(args, pkgs[name])
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build for %s/%s: %w\n%s", goos, goarch, err, msg)
	}
	bins := map[string]string{}
	for name, pkg := range pkgs {
		// go build -o dir/ names each command after the last element of its import path.
		exe := filepath.Join(built, path.Base(pkg))
		if goos == "windows" {
			exe += ".exe"
		}
		bin := filepath.Join(out, name, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		if err := os.Rename(exe, bin); err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		bins[name] = bin
	}
	return bins, nil
}

// binarySize is one binary's size on disk and in its deployment zip.
type binarySize struct {
	Name        string
	Raw, Zipped int64
}

// measureSize returns the size of bin and of a zip archive holding it alone as "bootstrap",
// compressed with Deflate as the SAM CLI packages a provided.al2023 function.
func measureSize(name, bin string) (binarySize, error) {
	f, err := os.Open(bin)
	if err != nil {
		return binarySize{}, fmt.Errorf("size of %s: %w", name, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return binarySize{}, fmt.Errorf("size of %s: %w", name, err)
	}
	zipped, err := zipSize(f, info)
	if err != nil {
		return binarySize{}, fmt.Errorf("zip %s: %w", name, err)
	}
	return binarySize{Name: name, Raw: info.Size(), Zipped: zipped}, nil
}

// zipSize returns the size of a zip archive holding r alone (see writeZip).
func zipSize(r io.Reader, info os.FileInfo) (int64, error) {
	var n countingWriter
	if err := writeZip(&n, r, info); err != nil {
		return 0, err
	}
	return int64(n), nil
}

// writeZip writes to w a zip archive holding r alone as an executable "bootstrap", compressed
// with Deflate: the deployment package of a provided.al2023 function.
func writeZip(w io.Writer, r io.Reader, info os.FileInfo) error {
	zw := zip.NewWriter(w)
	hdr, err := zip.FileInfoHeader(info)
	if err != nil {
		return err
	}
	hdr.Name, hdr.Method = "bootstrap", zip.Deflate
	hdr.SetMode(0o755)
	fw, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fw, r); err != nil {
		return err
	}
	return zw.Close()
}

// countingWriter counts what is written to it and keeps none of it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// linkage is what a binary links that weighs on its size.
type linkage struct {
	// Services are the AWS SDK service clients linked (dynamodb, ses...).
	Services []string
	// Template is whether text/template (which html/template builds on) is linked: its use of
	// reflection keeps the linker from dropping unused exported methods, of every type.
	Template bool
	// Files is whether the document file store (pkg/s3files: S3 requests signed with the SDK's
	// SigV4 signer, without the SDK's S3 client) is linked.
	Files bool
}

// filesPackage is the import path of the document file store.
const filesPackage = "github.com/casescribe/sharing/pkg/s3files"

// awsService matches the import path of an AWS SDK service client.
var awsService = regexp.MustCompile(`^github\.com/aws/aws-sdk-go-v2/service/([a-z0-9]+)$`)

// linkages lists, by name, what each function and reference Lambda links, as built for
// linux/arm64.
func linkages(ctx context.Context, root string, functions []string) (map[string]linkage, error) {
	pkgs := map[string]string{}
	for _, f := range functions {
		pkgs[f] = "./functions/" + f
	}
	maps.Copy(pkgs, references)
	args := []string{"list", "-tags", "lambda.norpc", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}"}
	for _, name := range slices.Sorted(maps.Keys(pkgs)) {
		args = append(args, pkgs[name])
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list dependencies: %w\n%s", err, stderr.String())
	}
	links := map[string]linkage{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		var l linkage
		for _, dep := range fields[1:] {
			if m := awsService.FindStringSubmatch(dep); m != nil {
				l.Services = append(l.Services, m[1])
			}
			l.Template = l.Template || dep == "text/template"
			l.Files = l.Files || dep == filesPackage
		}
		links[path.Base(fields[0])] = l
	}
	return links, nil
}
