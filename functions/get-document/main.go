// Command get-document is the Lambda function of GET /documents/{documentId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
	"github.com/casescribe/sharing/pkg/s3files"
)

func main() {
	h, err := awslambda.Route("getDocument", awslambda.Documents(s3files.FromConfig))
	if err != nil {
		log.Fatalf("get-document: %v", err)
	}
	lambda.Start(h)
}
