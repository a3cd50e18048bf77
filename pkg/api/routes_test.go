package api_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/casescribe/sharing/infra/samtemplate"
	"github.com/casescribe/sharing/pkg/access"
	"github.com/casescribe/sharing/pkg/api"
	"gopkg.in/yaml.v3"
)

// kebab turns an operation id into its function directory: listClientCases -> list-client-cases.
func kebab(id string) string {
	return strings.ToLower(regexp.MustCompile(`([A-Z])`).ReplaceAllString(id, "-$1"))
}

// logicalID turns an operation id into its template function: getMe -> GetMeFunction.
func logicalID(id string) string {
	return strings.ToUpper(id[:1]) + id[1:] + "Function"
}

// The route table, template.yaml, functions/ and the OpenAPI document describe the same routes,
// one to one.
func TestRoutesMatchTemplateFunctionsAndOpenAPI(t *testing.T) {
	tpl, err := samtemplate.Load(filepath.Join("..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fns := map[string]samtemplate.Function{}
	for _, f := range tpl.Functions() {
		fns[f.LogicalID] = f
	}
	var wantDirs []string
	seenKeys := map[string]bool{}
	for _, rt := range api.Routes() {
		if !rt.Action.Known() {
			t.Errorf("%s: action %q has no rule in the access package", rt.ID, rt.Action)
		}
		if seenKeys[rt.Key()] {
			t.Errorf("%s: route %s declared twice", rt.ID, rt.Key())
		}
		seenKeys[rt.Key()] = true
		wantDirs = append(wantDirs, kebab(rt.ID))
		f, ok := fns[logicalID(rt.ID)]
		if !ok {
			t.Errorf("%s: no function %s in template.yaml", rt.ID, logicalID(rt.ID))
			continue
		}
		delete(fns, logicalID(rt.ID))
		if len(f.Events) != 1 || f.Events[0].Method != rt.Method || f.Events[0].Path != rt.Path {
			t.Errorf("%s: template events %+v, want exactly %s", f.LogicalID, f.Events, rt.Key())
		} else if f.Events[0].AuthNone != (rt.Action.Needs() == access.NeedNothing) {
			t.Errorf("%s: authorizer on the route does not match what its action needs", f.LogicalID)
		}
	}
	auth, ok := fns["AuthorizerFunction"]
	if !ok || len(auth.Events) != 0 {
		t.Errorf("AuthorizerFunction = %+v, want a function with no route", auth)
	}
	delete(fns, "AuthorizerFunction")
	// The sweep of shares that end runs on a schedule, not on a route.
	if sweep, ok := fns["SweepSharesFunction"]; !ok || len(sweep.Events) != 0 || len(sweep.Schedules) != 1 {
		t.Errorf("SweepSharesFunction = %+v, want a function with one schedule and no route", sweep)
	}
	delete(fns, "SweepSharesFunction")
	for id := range fns {
		t.Errorf("template function %s has no route", id)
	}
	for _, f := range tpl.Functions() {
		if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || f.BuildMethod != "makefile" ||
			len(f.Architectures) != 1 || f.Architectures[0] != "arm64" {
			t.Errorf("%s: runtime %q handler %q build %q arch %v, want provided.al2023, bootstrap, makefile, arm64",
				f.LogicalID, f.Runtime, f.Handler, f.BuildMethod, f.Architectures)
		}
	}

	wantDirs = append(wantDirs, "authorizer", "sweep-shares")
	sort.Strings(wantDirs)
	entries, err := os.ReadDir(filepath.Join("..", "..", "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var gotDirs []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("..", "..", "functions", e.Name(), "main.go")); err == nil {
			gotDirs = append(gotDirs, e.Name())
		}
	}
	if strings.Join(gotDirs, " ") != strings.Join(wantDirs, " ") {
		t.Errorf("functions/ = %v, want %v", gotDirs, wantDirs)
	}

	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `yaml:"operationId"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.OperationID != "" {
				documented[strings.ToUpper(method)+" "+path] = op.OperationID
			}
		}
	}
	for _, rt := range api.Routes() {
		if documented[rt.Key()] != rt.ID {
			t.Errorf("OpenAPI: %s has operationId %q, want %q", rt.Key(), documented[rt.Key()], rt.ID)
		}
		delete(documented, rt.Key())
	}
	for key := range documented {
		t.Errorf("OpenAPI documents %s, which is not in the route table", key)
	}
}

// The proxy library is barely maintained: it stays behind one file.
func TestAPIProxyStaysInOneFile(t *testing.T) {
	var users []string
	err := filepath.WalkDir(filepath.Join("..", ".."), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != filepath.Join("..", "..") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.Contains(string(b), `"github.com/awslabs/aws-lambda-go-api-proxy/`) {
				users = append(users, filepath.ToSlash(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || !strings.HasSuffix(users[0], "pkg/awslambda/proxy.go") {
		t.Errorf("aws-lambda-go-api-proxy is imported by %v, want only pkg/awslambda/proxy.go", users)
	}
}
