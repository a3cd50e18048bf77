// Command export-facts is the Lambda function of GET /cases/{caseId}/facts/export.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("exportFacts")
	if err != nil {
		log.Fatalf("export-facts: %v", err)
	}
	lambda.Start(h)
}
