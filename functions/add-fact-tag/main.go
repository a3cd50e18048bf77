// Command add-fact-tag is the Lambda function of POST /facts/{factId}/tags.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("addFactTag")
	if err != nil {
		log.Fatalf("add-fact-tag: %v", err)
	}
	lambda.Start(h)
}
