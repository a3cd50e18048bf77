// Command create-case is the Lambda function of POST /clients/{clientId}/cases.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createCase")
	if err != nil {
		log.Fatalf("create-case: %v", err)
	}
	lambda.Start(h)
}
