// Command create-organization is the Lambda function of POST /orgs.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("createOrganization")
	if err != nil {
		log.Fatalf("create-organization: %v", err)
	}
	lambda.Start(h)
}
