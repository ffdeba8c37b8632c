// The CDK app entry point (`cdk synth`, `cdk deploy`; cdk.json runs it with tsx).
import { buildApp } from '../lib/app';

buildApp().app.synth();
