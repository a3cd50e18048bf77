package localstack

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/casescribe/sharing/infra/samtemplate"
)

// DocumentsBucketLogicalID is the logical ID of the documents bucket in template.yaml.
const DocumentsBucketLogicalID = "DocumentsBucket"

// CreateDocumentsBucket creates bucket with the CORS rules of the DocumentsBucket resource in
// root/template.yaml (root "" = found by walking up to go.mod), its AppBaseURL parameter set
// to appBaseURL: the local web app then uploads and downloads straight from the browser, as
// the deployed one does, and a rule the deployed bucket lacks cannot pass locally.
func CreateDocumentsBucket(ctx context.Context, client *s3.Client, root, bucket, appBaseURL string) error {
	if root == "" {
		var err error
		if root, err = findRoot(); err != nil {
			return fmt.Errorf("create bucket %s: %w", bucket, err)
		}
	}
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	cors, err := tpl.BucketCORS(DocumentsBucketLogicalID, map[string]string{"AppBaseURL": appBaseURL})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if cors == nil {
		return nil
	}
	if _, err := client.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: cors}); err != nil {
		return fmt.Errorf("create bucket %s: CORS: %w", bucket, err)
	}
	return nil
}
