// Command create-share is the Lambda function of POST /cases/{caseId}/shares.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createShare")
	if err != nil {
		log.Fatalf("create-share: %v", err)
	}
	lambda.Start(h)
}
