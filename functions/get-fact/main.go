// Command get-fact is the Lambda function of GET /facts/{factId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getFact")
	if err != nil {
		log.Fatalf("get-fact: %v", err)
	}
	lambda.Start(h)
}
