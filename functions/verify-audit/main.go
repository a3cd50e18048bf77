// Command verify-audit is the Lambda function of GET /audit/verify.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("verifyAudit")
	if err != nil {
		log.Fatalf("verify-audit: %v", err)
	}
	lambda.Start(h)
}
