// Command update-client is the Lambda function of PATCH /clients/{clientId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("updateClient")
	if err != nil {
		log.Fatalf("update-client: %v", err)
	}
	lambda.Start(h)
}
