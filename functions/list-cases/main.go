// Command list-cases is the Lambda function of GET /cases.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listCases")
	if err != nil {
		log.Fatalf("list-cases: %v", err)
	}
	lambda.Start(h)
}
