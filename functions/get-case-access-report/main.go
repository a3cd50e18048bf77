// Command get-case-access-report is the Lambda function of GET /cases/{caseId}/access-report.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getCaseAccessReport")
	if err != nil {
		log.Fatalf("get-case-access-report: %v", err)
	}
	lambda.Start(h)
}
