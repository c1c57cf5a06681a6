// WekaFPGrowthMine.java: times Weka 3.6's FP-Growth mining alone (no rule generation) on a
// sparse ARFF of binary attributes, by calling the steps of weka.associations.FPGrowth that
// buildAssociations runs before it makes rules: getSingletons, buildFPTree, mineTree. The
// tree class is private, so the steps are called through reflection.
//
// usage: java -cp /usr/share/java/weka.jar:CLASSES weka.associations.WekaFPGrowthMine FILE.arff MINSUP_COUNT
// prints: itemsets=N load_seconds=X mine_seconds=Y
package weka.associations;

import java.lang.reflect.Method;
import java.util.ArrayList;

import weka.core.Instances;
import weka.core.converters.ConverterUtils.DataSource;

public class WekaFPGrowthMine extends FPGrowth {
    private static final long serialVersionUID = 1L;

    private static Method find(String name) {
        for (Method m : FPGrowth.class.getDeclaredMethods()) {
            if (m.getName().equals(name)) {
                m.setAccessible(true);
                return m;
            }
        }
        throw new IllegalStateException("no method " + name);
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Instances data = new DataSource(args[0]).getDataSet();
        int minSupport = Integer.parseInt(args[1]);
        long t1 = System.nanoTime();
        FPGrowth m = new FPGrowth();
        Object singletons = find("getSingletons").invoke(m, data);
        Object tree = find("buildFPTree").invoke(m, singletons, data, minSupport);
        FrequentItemSets large = new FrequentItemSets(data.numInstances());
        FrequentBinaryItemSet none = new FrequentBinaryItemSet(new ArrayList<BinaryItem>(), 0);
        find("mineTree").invoke(m, tree, large, 0, none, minSupport);
        long t2 = System.nanoTime();
        System.out.printf("itemsets=%d load_seconds=%.3f mine_seconds=%.3f%n", large.size(),
                          (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
