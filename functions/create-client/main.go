// Command create-client is the Lambda function of POST /clients.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createClient")
	if err != nil {
		log.Fatalf("create-client: %v", err)
	}
	lambda.Start(h)
}
