// Command list-client-cases is the Lambda function of GET /clients/{clientId}/cases.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listClientCases")
	if err != nil {
		log.Fatalf("list-client-cases: %v", err)
	}
	lambda.Start(h)
}
