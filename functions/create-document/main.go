// Command create-document is the Lambda function of POST /cases/{caseId}/documents.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
	"github.com/casescribe/sharing/pkg/s3files"
)

func main() {
	h, err := awslambda.Route("createDocument", awslambda.Documents(s3files.FromConfig))
	if err != nil {
		log.Fatalf("create-document: %v", err)
	}
	lambda.Start(h)
}
