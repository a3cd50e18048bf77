// Command list-audit is the Lambda function of GET /audit.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listAudit")
	if err != nil {
		log.Fatalf("list-audit: %v", err)
	}
	lambda.Start(h)
}
