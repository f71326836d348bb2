'use strict';
// node-schedule keeps every job in its module-level `scheduledJobs` map (by name; anonymous jobs
// get "<Anonymous Job N>") so that jobs can be cancelled or rescheduled by name. Up to 1.3.3 a
// one-off job, scheduled for a Date, stayed there after it had run: nothing could ever fire it
// again, but the Job, its callback and whatever that closes over were kept for the life of the
// process, one per scheduled reminder, retry or delayed task. 2.0.0 marks date jobs as one-time
// and deletes them from scheduledJobs once their invocation has fired.
module.exports = {
  package: 'node-schedule',
  leaky: '1.3.3',
  fixed: '2.0.0',
  source: 'https://github.com/node-schedule/node-schedule/pull/581',
  shape: 'registry that only grows (module-level job map), timers',
  expect: {
    group: '^Job$',
    // scheduledJobs['<Anonymous Job N>']
    edges: ['scheduledJobs'],
  },

  async start(schedule) {
    // The first scheduleJob() loads the cron parser, tens of milliseconds on a busy machine:
    // do it here, with a job cancelled at once (cancel() removes it from scheduledJobs).
    schedule.scheduleJob(new Date(Date.now() + 60_000), () => {}).cancel();
    return {
      async iteration(i) {
        // A delayed task: run once, shortly from now. The margin covers scheduleJob() itself on a
        // busy machine: a date already past is refused, and a refused job is still stored in
        // scheduledJobs by both versions, which would be a different leak.
        await new Promise((resolve, reject) => {
          const job = schedule.scheduleJob(new Date(Date.now() + 50), () => resolve(i));
          if (!job) reject(new Error('scheduleJob refused the date'));
        });
      },
      async close() {},
    };
  },
};
