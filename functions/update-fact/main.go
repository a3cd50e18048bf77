// Command update-fact is the Lambda function of PATCH /facts/{factId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("updateFact")
	if err != nil {
		log.Fatalf("update-fact: %v", err)
	}
	lambda.Start(h)
}
