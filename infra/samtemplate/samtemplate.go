// Package samtemplate reads the parts of the project's AWS SAM template
// (template.yaml) that local tooling needs: the DynamoDB table definition, so
// emulated tables match production exactly, the Lambda functions with their
// HTTP API routes, so a local dev server can mount the same handlers, and a
// bucket's CORS rules, so a local bucket answers browsers as the real one does.
//
// It is deliberately a small, hand-written reader on top of gopkg.in/yaml.v3
// rather than a full CloudFormation model: only the properties listed in the
// API are interpreted, and everything else in the template is ignored.
// CloudFormation short-form intrinsic functions (!Ref, !GetAtt, !Sub, ...) are
// accepted anywhere and rewritten to their long form ({"Ref": ...},
// {"Fn::GetAtt": [...]}, ...) before decoding, so they never break parsing.
// Intrinsics are not evaluated: a property whose value is an intrinsic is
// treated as unknown (empty) where a plain string is expected.
package samtemplate

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resource types this package understands.
const (
	typeDynamoDBTable = "AWS::DynamoDB::Table"
	typeFunction      = "AWS::Serverless::Function"
	eventTypeHTTPAPI  = "HttpApi"
	eventTypeSchedule = "ScheduleV2"
)

// Template is a parsed SAM template. It is immutable after Parse and safe for
// concurrent use.
type Template struct {
	resources map[string]resource
	functions []Function
}

// resource is one entry of the template's Resources section. Properties and
// Metadata stay as YAML nodes because their shape depends on Type; they are
// decoded on demand into the matching typed struct.
type resource struct {
	Type       string    `yaml:"Type"`
	Properties yaml.Node `yaml:"Properties"`
	Metadata   yaml.Node `yaml:"Metadata"`
}

// document is the top level of a SAM template, reduced to what we read.
type document struct {
	Globals struct {
		Function functionProperties `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]resource `yaml:"Resources"`
}

// Function is an AWS::Serverless::Function resource with the defaults from
// Globals.Function already applied.
type Function struct {
	// LogicalID is the resource's key under Resources.
	LogicalID string
	// CodeURI is the CodeUri property (a directory relative to the template),
	// or "" when it is absent or not a plain string (an S3 location or an
	// intrinsic function).
	CodeURI string
	// Handler, Runtime and Architectures come from the function or, when it
	// lacks them, from Globals.Function.
	Handler       string
	Runtime       string
	Architectures []string
	// BuildMethod is Metadata.BuildMethod (e.g. "go1.x" or "makefile"), which
	// tells `sam build` how to compile the function.
	BuildMethod string
	// Events lists the function's HttpApi events, sorted by Path then Method.
	// Events of other types (SQS, Schedule, REST Api, ...) are omitted.
	Events []HTTPEvent
	// Schedules lists the ScheduleExpression of each ScheduleV2 event (EventBridge
	// Scheduler), sorted.
	Schedules []string
}

// HTTPEvent is one event of Type HttpApi on a function: an HTTP API route.
type HTTPEvent struct {
	// Method is the HTTP method in upper case (e.g. "GET" or "ANY"); "" when
	// the event has no Method, which SAM treats as the API's catch-all route.
	Method string
	// Path is the route path as written (e.g. "/cases/{caseId}"); "" for the
	// catch-all route.
	Path string
	// AuthNone reports Auth.Authorizer: NONE, i.e. the route is explicitly
	// public even if the API has a default authorizer.
	AuthNone bool
}

// functionProperties are the AWS::Serverless::Function properties we read. The
// same shape serves Globals.Function.
type functionProperties struct {
	CodeURI       scalar           `yaml:"CodeUri"`
	Handler       scalar           `yaml:"Handler"`
	Runtime       scalar           `yaml:"Runtime"`
	Architectures []scalar         `yaml:"Architectures"`
	Events        map[string]event `yaml:"Events"`
}

type functionMetadata struct {
	BuildMethod scalar `yaml:"BuildMethod"`
}

type event struct {
	Type       string `yaml:"Type"`
	Properties struct {
		Method             scalar `yaml:"Method"`
		Path               scalar `yaml:"Path"`
		ScheduleExpression scalar `yaml:"ScheduleExpression"`
		Auth               struct {
			Authorizer scalar `yaml:"Authorizer"`
		} `yaml:"Auth"`
	} `yaml:"Properties"`
}

// scalar is a property that is normally a plain string but may legally be
// any CloudFormation value (an intrinsic function, an S3 location map, ...).
// Non-scalar values decode to "" instead of failing, because local tooling
// cannot evaluate them anyway and should not reject a valid template.
type scalar string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = scalar(n.Value)
		return nil
	}
	*s = ""
	return nil
}

// Load reads and parses the SAM template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read SAM template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse parses a SAM template from YAML (JSON, being YAML, works too).
func Parse(data []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse SAM template: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, errors.New("parse SAM template: document is empty")
	}
	expandShortIntrinsics(&root)

	var doc document
	if err := root.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode SAM template: %w", err)
	}
	if len(doc.Resources) == 0 {
		return nil, errors.New("decode SAM template: no Resources")
	}

	t := &Template{resources: doc.Resources}
	for id, r := range doc.Resources {
		if r.Type != typeFunction {
			continue
		}
		fn, err := buildFunction(id, r, doc.Globals.Function)
		if err != nil {
			return nil, err
		}
		t.functions = append(t.functions, fn)
	}
	sort.Slice(t.functions, func(i, j int) bool { return t.functions[i].LogicalID < t.functions[j].LogicalID })
	return t, nil
}

// buildFunction decodes one AWS::Serverless::Function and applies globals.
func buildFunction(id string, r resource, globals functionProperties) (Function, error) {
	var props functionProperties
	if err := decodeOptional(&r.Properties, &props); err != nil {
		return Function{}, fmt.Errorf("resource %s: decode Properties: %w", id, err)
	}
	var meta functionMetadata
	if err := decodeOptional(&r.Metadata, &meta); err != nil {
		return Function{}, fmt.Errorf("resource %s: decode Metadata: %w", id, err)
	}

	fn := Function{
		LogicalID:   id,
		CodeURI:     firstNonEmpty(props.CodeURI, globals.CodeURI),
		Handler:     firstNonEmpty(props.Handler, globals.Handler),
		Runtime:     firstNonEmpty(props.Runtime, globals.Runtime),
		BuildMethod: string(meta.BuildMethod),
	}
	// SAM replaces (does not merge) list-valued globals when the resource sets
	// the property, so take the function's list whenever it is present.
	arch := props.Architectures
	if arch == nil {
		arch = globals.Architectures
	}
	for _, a := range arch {
		fn.Architectures = append(fn.Architectures, string(a))
	}

	for name, ev := range props.Events {
		if ev.Type == eventTypeSchedule {
			fn.Schedules = append(fn.Schedules, string(ev.Properties.ScheduleExpression))
			continue
		}
		if ev.Type != eventTypeHTTPAPI {
			continue
		}
		if ev.Properties.Path != "" && !strings.HasPrefix(string(ev.Properties.Path), "/") {
			return Function{}, fmt.Errorf("resource %s: event %s: Path %q must start with /", id, name, ev.Properties.Path)
		}
		fn.Events = append(fn.Events, HTTPEvent{
			Method:   strings.ToUpper(string(ev.Properties.Method)),
			Path:     string(ev.Properties.Path),
			AuthNone: strings.EqualFold(string(ev.Properties.Auth.Authorizer), "NONE"),
		})
	}
	sort.Strings(fn.Schedules)
	sort.Slice(fn.Events, func(i, j int) bool {
		a, b := fn.Events[i], fn.Events[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return fn, nil
}

// Functions returns every AWS::Serverless::Function, sorted by LogicalID.
// The result is a copy; callers may modify it.
func (t *Template) Functions() []Function {
	out := make([]Function, len(t.functions))
	for i, fn := range t.functions {
		fn.Architectures = append([]string(nil), fn.Architectures...)
		fn.Events = append([]HTTPEvent(nil), fn.Events...)
		fn.Schedules = append([]string(nil), fn.Schedules...)
		out[i] = fn
	}
	return out
}

// lookup returns the resource logicalID after checking it has the wanted type.
func (t *Template) lookup(logicalID, wantType string) (resource, error) {
	r, ok := t.resources[logicalID]
	if !ok {
		return resource{}, fmt.Errorf("resource %s not found in template", logicalID)
	}
	if r.Type != wantType {
		return resource{}, fmt.Errorf("resource %s has type %q, want %q", logicalID, r.Type, wantType)
	}
	return r, nil
}

// decodeOptional decodes n into v, treating an absent node (zero Kind) as empty.
func decodeOptional(n *yaml.Node, v any) error {
	if n.Kind == 0 {
		return nil
	}
	return n.Decode(v)
}

func firstNonEmpty(a, b scalar) string {
	if a != "" {
		return string(a)
	}
	return string(b)
}

// expandShortIntrinsics rewrites CloudFormation short-form tags in place into
// the equivalent long-form mappings, e.g. `!Ref X` → `{Ref: X}` and
// `!GetAtt A.B` → `{Fn::GetAtt: [A, B]}`. Without this, yaml.v3 would either
// reject the unknown tags when decoding into typed fields or silently keep
// them as plain strings, losing the fact that they are not literal values.
func expandShortIntrinsics(n *yaml.Node) {
	for _, c := range n.Content {
		expandShortIntrinsics(c)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return
	}
	name := strings.TrimPrefix(n.Tag, "!")
	key := "Fn::" + name
	if name == "Ref" || name == "Condition" {
		key = name
	}

	// The argument keeps the node's value and style but loses the custom tag,
	// so it decodes with the default resolution rules.
	arg := *n
	arg.Tag = ""
	arg.Style &^= yaml.TaggedStyle
	if name == "GetAtt" && arg.Kind == yaml.ScalarNode {
		// The short form "A.B" is sugar for the list [A, B]; only the first
		// dot separates the resource from the attribute (B may contain dots).
		res, attr, _ := strings.Cut(arg.Value, ".")
		arg = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: res},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: attr},
		}}
	}
	*n = yaml.Node{
		Kind:   yaml.MappingNode,
		Tag:    "!!map",
		Line:   n.Line,
		Column: n.Column,
		Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
			&arg,
		},
	}
}
