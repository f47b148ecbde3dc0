/**
 * Optional, off by default (setting `edgeRateLimit`): per-caller rate limiting in front of the HTTP API. API
 * Gateway's HTTP APIs cannot carry a WAF web ACL and their throttling is one budget shared by every caller, Telegram
 * included, so anyone who knows the host name can spend it. With this on, a CloudFront distribution sits in front
 * of the API (`EdgeDistribution`, in the service stack) and this stack's web ACL counts requests per client IP.
 *
 * A web ACL for CloudFront must live in us-east-1, whatever the deployment's region: hence a stack of its own,
 * `<prefix>-Edge`, whose ARN reaches the service stack through CDK's cross-region references.
 */
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import { CfnIPSet, CfnWebACL } from "aws-cdk-lib/aws-wafv2";
import type { Construct } from "constructs";

/** CloudFront's web ACLs can only be created here. */
export const EDGE_REGION = "us-east-1";

/**
 * Where Telegram sends webhook updates from (core.telegram.org/bots/webhooks: "149.154.160.0/20 and 91.108.4.0/22").
 * Their requests are never counted against the per-IP limit: one Telegram server delivers every admin's updates, so
 * a per-IP limit would throttle Telegram itself in a burst. API Gateway's stage throttling still bounds them.
 */
export const TELEGRAM_WEBHOOK_RANGES = ["149.154.160.0/20", "91.108.4.0/22"] as const;

/** WAF's evaluation window for the rate rule, in seconds (WAF accepts 60, 120, 300 or 600). */
export const EDGE_RATE_WINDOW_SECONDS = 300;

export interface EdgeStackProps extends StackProps {
  /** Requests one client IP may make in `EDGE_RATE_WINDOW_SECONDS` before WAF answers 429. */
  readonly rateLimit: number;
  /** Prefix of the metric names (the stack prefix). */
  readonly metricPrefix: string;
}

export class EdgeStack extends Stack {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const telegram = new CfnIPSet(this, "TelegramWebhookRanges", {
      scope: "CLOUDFRONT",
      ipAddressVersion: "IPV4",
      addresses: [...TELEGRAM_WEBHOOK_RANGES],
      description: "Telegram webhook senders, not counted by the per-IP rate rule",
    });
    this.webAcl = new CfnWebACL(this, "EdgeWebAcl", {
      scope: "CLOUDFRONT",
      description: "Session Keeper: per-caller rate limit in front of the webhook and Mini App API",
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: `${props.metricPrefix}-edge`,
        sampledRequestsEnabled: true,
      },
      customResponseBodies: {
        slowDown: {
          contentType: "APPLICATION_JSON",
          content: JSON.stringify({ error: "Too many requests from your address. Wait a few minutes." }),
        },
      },
      rules: [
        {
          name: "PerCallerRate",
          priority: 0,
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: "slowDown" } } },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: "IP",
              limit: props.rateLimit,
              evaluationWindowSec: EDGE_RATE_WINDOW_SECONDS,
              scopeDownStatement: {
                notStatement: { statement: { ipSetReferenceStatement: { arn: telegram.attrArn } } },
              },
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: `${props.metricPrefix}-edge-per-caller`,
            sampledRequestsEnabled: true,
          },
        },
      ],
    });
    new CfnOutput(this, "EdgeWebAclArn", { value: this.webAcl.attrArn });
  }
}
