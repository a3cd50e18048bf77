// Command create-fact is the Lambda function of POST /cases/{caseId}/facts.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createFact")
	if err != nil {
		log.Fatalf("create-fact: %v", err)
	}
	lambda.Start(h)
}
