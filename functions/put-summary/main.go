// Command put-summary is the Lambda function of PUT /cases/{caseId}/summary.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("putSummary")
	if err != nil {
		log.Fatalf("put-summary: %v", err)
	}
	lambda.Start(h)
}
