// Command remove-fact-tag is the Lambda function of DELETE /facts/{factId}/tags/{tag}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("removeFactTag")
	if err != nil {
		log.Fatalf("remove-fact-tag: %v", err)
	}
	lambda.Start(h)
}
