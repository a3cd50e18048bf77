package samtemplate

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gopkg.in/yaml.v3"
)

const typeS3Bucket = "AWS::S3::Bucket"

// bucketProperties are the AWS::S3::Bucket properties we read.
type bucketProperties struct {
	CorsConfiguration *struct {
		CorsRules []struct {
			AllowedOrigins []yaml.Node `yaml:"AllowedOrigins"`
			AllowedMethods []yaml.Node `yaml:"AllowedMethods"`
			AllowedHeaders []yaml.Node `yaml:"AllowedHeaders"`
			ExposedHeaders []yaml.Node `yaml:"ExposedHeaders"`
			MaxAge         *int32      `yaml:"MaxAge"`
		} `yaml:"CorsRules"`
	} `yaml:"CorsConfiguration"`
}

// BucketCORS returns the CorsConfiguration of the AWS::S3::Bucket logicalID, ready for
// PutBucketCors, so that a local bucket answers browsers exactly as the deployed one does.
// Values may be literal strings or a Ref to a template parameter, which is taken from params
// (an origin such as AppBaseURL differs between the deployed and the local web app); any
// other intrinsic, or a Ref to a parameter missing from params, is an error. A bucket without
// CORS returns nil.
func (t *Template) BucketCORS(logicalID string, params map[string]string) (*types.CORSConfiguration, error) {
	r, err := t.lookup(logicalID, typeS3Bucket)
	if err != nil {
		return nil, fmt.Errorf("bucket CORS: %w", err)
	}
	var props bucketProperties
	if err := decodeOptional(&r.Properties, &props); err != nil {
		return nil, fmt.Errorf("bucket CORS: resource %s: decode Properties: %w", logicalID, err)
	}
	if props.CorsConfiguration == nil {
		return nil, nil
	}
	cfg := &types.CORSConfiguration{}
	for i, rule := range props.CorsConfiguration.CorsRules {
		var out types.CORSRule
		for _, f := range []struct {
			name  string
			nodes []yaml.Node
			dst   *[]string
		}{
			{"AllowedOrigins", rule.AllowedOrigins, &out.AllowedOrigins},
			{"AllowedMethods", rule.AllowedMethods, &out.AllowedMethods},
			{"AllowedHeaders", rule.AllowedHeaders, &out.AllowedHeaders},
			{"ExposedHeaders", rule.ExposedHeaders, &out.ExposeHeaders},
		} {
			for j := range f.nodes {
				v, err := resolveString(&f.nodes[j], params)
				if err != nil {
					return nil, fmt.Errorf("bucket CORS: resource %s: rule %d: %s[%d]: %w", logicalID, i, f.name, j, err)
				}
				*f.dst = append(*f.dst, v)
			}
		}
		if rule.MaxAge != nil {
			out.MaxAgeSeconds = aws.Int32(*rule.MaxAge)
		}
		cfg.CORSRules = append(cfg.CORSRules, out)
	}
	return cfg, nil
}

// resolveString returns a literal string, or the value in params of a {Ref: Name}.
func resolveString(n *yaml.Node, params map[string]string) (string, error) {
	if n.Kind == yaml.ScalarNode {
		return n.Value, nil
	}
	var ref struct {
		Ref string `yaml:"Ref"`
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 && n.Decode(&ref) == nil && ref.Ref != "" {
		v, ok := params[ref.Ref]
		if !ok {
			return "", fmt.Errorf("no value for parameter %s", ref.Ref)
		}
		return v, nil
	}
	return "", fmt.Errorf("not a string or a Ref to a parameter (line %d)", n.Line)
}
