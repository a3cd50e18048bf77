// Command list-comments is the Lambda function of GET /facts/{factId}/comments.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listComments")
	if err != nil {
		log.Fatalf("list-comments: %v", err)
	}
	lambda.Start(h)
}
