package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// logicalID is the template's logical id of the function in directory dir: the directory in
// CamelCase plus "Function" (get-me: GetMeFunction), as the Makefile's sam build targets name it.
func logicalID(dir string) string {
	var b strings.Builder
	for _, w := range strings.Split(dir, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String() + "Function"
}

// templateVariables reads from template.yaml the environment variables each function sets
// beyond the Globals (Resources.<logical id>.Properties.Environment.Variables), by function
// directory. A !Ref of a parameter is the parameter's default. Any other value that is not
// plain text (a !Ref of a resource, !Sub, !GetAtt: what only a deployment knows) is a stand-in
// "bench-<logical id>", and named in standIns, "FUNCTION VARIABLE".
func templateVariables(raw []byte, functions []string) (vars map[string]map[string]string, standIns []string, err error) {
	var tpl struct {
		Parameters map[string]struct {
			Default string `yaml:"Default"`
		} `yaml:"Parameters"`
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		return nil, nil, fmt.Errorf("read template.yaml: %w", err)
	}
	vars = map[string]map[string]string{}
	for _, f := range functions {
		node, ok := tpl.Resources[logicalID(f)]
		if !ok {
			return nil, nil, fmt.Errorf("read template.yaml: no resource %s for functions/%s", logicalID(f), f)
		}
		var res struct {
			Properties struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Properties"`
		}
		if err := node.Decode(&res); err != nil {
			return nil, nil, fmt.Errorf("read template.yaml: %s: %w", logicalID(f), err)
		}
		own := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(res.Properties.Environment.Variables)) {
			v := res.Properties.Environment.Variables[k]
			switch {
			case v.Kind == yaml.ScalarNode && !strings.HasPrefix(v.Tag, "!") || v.Tag == "!!str":
				own[k] = v.Value
			case v.Kind == yaml.ScalarNode && v.Tag == "!Ref" && hasParameter(tpl.Parameters, v.Value):
				own[k] = tpl.Parameters[v.Value].Default
			default:
				own[k] = "bench-" + logicalID(f)
				standIns = append(standIns, f+" "+k)
			}
		}
		vars[f] = own
	}
	return vars, standIns, nil
}

func hasParameter[V any](params map[string]V, name string) bool {
	_, ok := params[name]
	return ok
}

// functionEnvs is the configuration each function reads at init: functionEnv (the Globals,
// pointing at the emulators) and the function's own variables from template.yaml; a function
// that sends mail also gets the SES emulator's endpoint. standIns are as templateVariables says.
func (e *environment) functionEnvs(root string, functions []string) (map[string]map[string]string, []string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, nil, fmt.Errorf("read template.yaml: %w", err)
	}
	own, standIns, err := templateVariables(raw, functions)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]map[string]string{}
	for _, f := range functions {
		env := e.functionEnv()
		maps.Copy(env, own[f])
		if env["MAIL_FROM"] != "" {
			env["SES_ENDPOINT"] = e.stack.SESEndpoint
		}
		out[f] = env
	}
	return out, standIns, nil
}
