// Command get-summary is the Lambda function of GET /cases/{caseId}/summary.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getSummary")
	if err != nil {
		log.Fatalf("get-summary: %v", err)
	}
	lambda.Start(h)
}
