// Command list-documents is the Lambda function of GET /cases/{caseId}/documents.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listDocuments")
	if err != nil {
		log.Fatalf("list-documents: %v", err)
	}
	lambda.Start(h)
}
