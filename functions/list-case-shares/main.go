// Command list-case-shares is the Lambda function of GET /cases/{caseId}/shares.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listCaseShares")
	if err != nil {
		log.Fatalf("list-case-shares: %v", err)
	}
	lambda.Start(h)
}
