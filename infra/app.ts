/**
 * The CDK app: `npm run synth`, `npm run deploy` (cdk.json runs this file with tsx).
 *
 * Account and region: context `account`/`region`, else CDK_DEPLOY_ACCOUNT/REGION, else what the CDK CLI found in
 * your AWS credentials, else an offline placeholder (synth works without AWS; such a template cannot be deployed).
 * Every setting is documented in infra/settings.ts and can be overridden with `-c key=value`.
 */
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { addSessionKeeperStacks } from "./session-keeper";
import { readSettings, resolveEnvironment } from "./settings";

const app = new App();
// The same checks the tests run (AWS Solutions, and Serverless for retries/DLQs): a deploy with an
// unacknowledged finding fails at synth.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }),
  new ServerlessChecks(app, { writeSuppressionsToCloudFormation: true }),
);

const environment = resolveEnvironment(app.node);
if (environment.offline) {
  console.warn(
    `No AWS account known (no credentials, no -c account=…): synthesizing for the placeholder ${environment.account}. ` +
      "Deploying needs credentials for the target account.",
  );
}
addSessionKeeperStacks(app, readSettings(app.node), environment);
app.synth();
