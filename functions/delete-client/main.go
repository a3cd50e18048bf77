// Command delete-client is the Lambda function of DELETE /clients/{clientId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("deleteClient")
	if err != nil {
		log.Fatalf("delete-client: %v", err)
	}
	lambda.Start(h)
}
