package io.bootcache.deploy;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fields of a parsed Kubernetes object that its API type does not know. The fabric8 types keep
 * those aside in "additionalProperties" rather than failing, so a misspelt field would pass unseen.
 */
final class UnknownFields {
  private UnknownFields() {}

  static List<String> of(Object object) {
    List<String> unknown = new ArrayList<>();
    collect(object, "", unknown);
    return unknown;
  }

  private static void collect(Object value, String path, List<String> unknown) {
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) collect(list.get(i), path + "[" + i + "]", unknown);
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> collect(v, path + "." + k, unknown));
      return;
    }
    if (value == null || !value.getClass().getName().startsWith("io.fabric8.")) return;
    for (Class<?> c = value.getClass(); c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers())) continue;
        f.setAccessible(true);
        Object fieldValue;
        try {
          fieldValue = f.get(value);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
        if (f.getName().equals("additionalProperties")) {
          if (fieldValue instanceof Map<?, ?> extra && !extra.isEmpty()) unknown.add(path + " " + extra.keySet());
        } else {
          collect(fieldValue, path + "." + f.getName(), unknown);
        }
      }
    }
  }
}
