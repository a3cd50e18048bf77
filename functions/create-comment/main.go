// Command create-comment is the Lambda function of POST /facts/{factId}/comments.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createComment")
	if err != nil {
		log.Fatalf("create-comment: %v", err)
	}
	lambda.Start(h)
}
