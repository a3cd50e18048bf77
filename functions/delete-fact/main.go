// Command delete-fact is the Lambda function of DELETE /facts/{factId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("deleteFact")
	if err != nil {
		log.Fatalf("delete-fact: %v", err)
	}
	lambda.Start(h)
}
