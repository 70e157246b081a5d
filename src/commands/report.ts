import { Command } from 'commander';
import { DEFAULTS } from '../defaults.js';
import { labFor, type Lab } from '../lab-context.js';
import { checkOutputFile } from '../output-path.js';
import { packageVersion } from '../paths.js';
import { writeReport } from '../report/write.js';

export interface ReportOptions {
  output: string;
  recordDir: string;
  lessonDir?: string;
}

export async function report(lab: Lab, options: ReportOptions): Promise<string> {
  checkOutputFile(options.output, '--output');
  const { path, files } = await writeReport(lab, { output: options.output, recordDir: options.recordDir, lessonDir: options.lessonDir ?? DEFAULTS.report.lessonDir, k8sLabVersion: packageVersion() });
  lab.log.success(`report written with ${files.length} timeline picture${files.length === 1 ? '' : 's'}`);
  lab.log.result({ report: path, files }, () => path);
  return path;
}

export const reportCommand = new Command('report')
  .option('-o, --output <file>', 'where the report is written (timeline pictures go next to it)', DEFAULTS.report.output)
  .option('--record-dir <dir>', 'where the run records are read from', DEFAULTS.report.recordDir)
  .option('--lesson-dir <dir>', "where demo-scale's and demo-failover's run records are read from", DEFAULTS.report.lessonDir)
  .action(async (options: ReportOptions, command: Command) => {
    await report(labFor(command), options);
  });
