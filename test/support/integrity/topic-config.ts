// Changes one config of topics without dropping their other overrides: kafkajs' alterConfigs
// (the non-incremental AlterConfigs API) replaces a topic's whole override set.
import { ConfigResourceTypes, type Admin } from 'kafkajs';

export async function setTopicConfig(
  admin: Admin,
  topics: string[],
  name: string,
  value: string,
): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: topic })),
  });
  await admin.alterConfigs({
    validateOnly: false,
    resources: described.resources.map((r) => {
      // Only the topic's own overrides (configSource 1 = DYNAMIC_TOPIC_CONFIG), not broker defaults.
      const kept = r.configEntries.filter((e) => e.configSource === 1 && e.configName !== name);
      return {
        type: ConfigResourceTypes.TOPIC,
        name: r.resourceName,
        configEntries: [...kept.map((e) => ({ name: e.configName, value: e.configValue })), { name, value }],
      };
    }),
  });
}
