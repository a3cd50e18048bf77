// Command list-facts is the Lambda function of GET /cases/{caseId}/facts.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("listFacts")
	if err != nil {
		log.Fatalf("list-facts: %v", err)
	}
	lambda.Start(h)
}
