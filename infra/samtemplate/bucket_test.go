package samtemplate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const bucketTemplate = `
Parameters:
  AppBaseURL:
    Type: String
Resources:
  Docs:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules:
          - AllowedOrigins: [!Ref AppBaseURL, "https://admin.example"]
            AllowedMethods: [PUT, GET]
            AllowedHeaders: [Content-Type]
            ExposedHeaders: [ETag]
            MaxAge: 600
          - AllowedOrigins: ["*"]
            AllowedMethods: [HEAD]
  Plain:
    Type: AWS::S3::Bucket
  Computed:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules:
          - AllowedOrigins: [!GetAtt Plain.WebsiteURL]
            AllowedMethods: [GET]
  Table:
    Type: AWS::DynamoDB::Table
`

func TestBucketCORS(t *testing.T) {
	tpl, err := Parse([]byte(bucketTemplate))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got, err := tpl.BucketCORS("Docs", map[string]string{"AppBaseURL": "http://localhost:5173"})
	if err != nil {
		t.Fatalf("BucketCORS: %v", err)
	}
	want := &types.CORSConfiguration{CORSRules: []types.CORSRule{
		{
			AllowedOrigins: []string{"http://localhost:5173", "https://admin.example"},
			AllowedMethods: []string{"PUT", "GET"},
			AllowedHeaders: []string{"Content-Type"},
			ExposeHeaders:  []string{"ETag"},
			MaxAgeSeconds:  aws.Int32(600),
		},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"HEAD"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BucketCORS =\n%#v\nwant\n%#v", got, want)
	}

	if got, err := tpl.BucketCORS("Plain", nil); got != nil || err != nil {
		t.Errorf("BucketCORS of a bucket without CORS = %v, %v; want nil, nil", got, err)
	}
}

func TestBucketCORSErrors(t *testing.T) {
	tpl, err := Parse([]byte(bucketTemplate))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		id      string
		params  map[string]string
		wantErr string
	}{
		{"Docs", nil, "no value for parameter AppBaseURL"},
		{"Computed", nil, "AllowedOrigins[0]: not a string or a Ref to a parameter"},
		{"Table", nil, `has type "AWS::DynamoDB::Table"`},
		{"Missing", nil, "resource Missing not found"},
	}
	for _, tt := range tests {
		_, err := tpl.BucketCORS(tt.id, tt.params)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("BucketCORS(%s) error = %v, want containing %q", tt.id, err, tt.wantErr)
		}
	}
}

// The documents bucket of the real template lets the web app, and only it, PUT and GET.
func TestRealTemplateDocumentsBucket(t *testing.T) {
	tpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	cors, err := tpl.BucketCORS("DocumentsBucket", map[string]string{"AppBaseURL": "https://app.example"})
	if err != nil {
		t.Fatalf("BucketCORS: %v", err)
	}
	if cors == nil || len(cors.CORSRules) != 1 {
		t.Fatalf("BucketCORS = %#v, want one rule", cors)
	}
	rule := cors.CORSRules[0]
	if got, want := rule.AllowedOrigins, []string{"https://app.example"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AllowedOrigins = %v, want %v", got, want)
	}
	if got, want := rule.AllowedMethods, []string{"PUT", "GET"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AllowedMethods = %v, want %v", got, want)
	}
	if got, want := rule.AllowedHeaders, []string{"Content-Type"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AllowedHeaders = %v, want %v", got, want)
	}
}
