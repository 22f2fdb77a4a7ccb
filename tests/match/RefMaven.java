// Reference comparisons with Maven's ComparableVersion for the match
// engine's tests: reads "a<TAB>b" lines, writes -1 / 0 / 1.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class RefMaven {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] ab = line.split("\t", -1);
            int c = new ComparableVersion(ab[0]).compareTo(new ComparableVersion(ab[1]));
            out.append(c < 0 ? "-1" : c > 0 ? "1" : "0").append('\n');
        }
        System.out.print(out);
    }
}
