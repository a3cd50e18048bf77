// Command get-me is the Lambda function of GET /me.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getMe")
	if err != nil {
		log.Fatalf("get-me: %v", err)
	}
	lambda.Start(h)
}
