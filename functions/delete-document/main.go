// Command delete-document is the Lambda function of DELETE /documents/{documentId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
	"github.com/casescribe/sharing/pkg/s3files"
)

func main() {
	h, err := awslambda.Route("deleteDocument", awslambda.Documents(s3files.FromConfig))
	if err != nil {
		log.Fatalf("delete-document: %v", err)
	}
	lambda.Start(h)
}
