// Command update-case is the Lambda function of PATCH /cases/{caseId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("updateCase")
	if err != nil {
		log.Fatalf("update-case: %v", err)
	}
	lambda.Start(h)
}
