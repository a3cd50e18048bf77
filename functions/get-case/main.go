// Command get-case is the Lambda function of GET /cases/{caseId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getCase")
	if err != nil {
		log.Fatalf("get-case: %v", err)
	}
	lambda.Start(h)
}
