// Command get-client is the Lambda function of GET /clients/{clientId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("getClient")
	if err != nil {
		log.Fatalf("get-client: %v", err)
	}
	lambda.Start(h)
}
