// Command list-clients is the Lambda function of GET /clients.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listClients")
	if err != nil {
		log.Fatalf("list-clients: %v", err)
	}
	lambda.Start(h)
}
